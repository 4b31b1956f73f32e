package main

import (
	"errors"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// frame is one gRPC message kept as its encoded bytes: the proxy never needs to understand what it forwards.
type frame struct{ payload []byte }

// rawCodec moves frames unchanged. It calls itself "proto" so both sides still see application/grpc+proto.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, errors.New("rawCodec: not a frame")
	}
	return f.payload, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return errors.New("rawCodec: not a frame")
	}
	f.payload = append([]byte(nil), data...)
	return nil
}

const runPluginMethod = "/pulumirpc.LanguageRuntime/RunPlugin"

// proxy serves every method by relaying it to the real host, except RunPlugin for analyzers.
type proxy struct{ conn *grpc.ClientConn }

func (p proxy) handle(_ any, stream grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(stream)
	if method != runPluginMethod {
		return p.relay(method, stream, nil)
	}
	var first frame
	if err := stream.RecvMsg(&first); err != nil {
		return err
	}
	req, err := decodeRunPluginRequest(first.payload)
	if err != nil {
		return err
	}
	if req.kind == "analyzer" {
		return runPolicyPack(req, stream)
	}
	return p.relay(method, stream, &first)
}

// relay copies one call both ways, as a bidirectional stream (which also carries unary and one-sided calls),
// with the caller's metadata, the host's headers and trailers, and the host's status.
func (p proxy) relay(method string, in grpc.ServerStream, already *frame) error {
	ctx := in.Context()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
	}
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	out, err := p.conn.NewStream(ctx, desc, method)
	if err != nil {
		return err
	}

	go func() {
		if already != nil && out.SendMsg(already) != nil {
			return
		}
		for {
			var f frame
			if err := in.RecvMsg(&f); err != nil {
				_ = out.CloseSend() // io.EOF: the caller is done sending; anything else ends the call below
				return
			}
			if out.SendMsg(&f) != nil {
				return
			}
		}
	}()

	for first := true; ; first = false {
		var f frame
		err := out.RecvMsg(&f)
		if first {
			if header, herr := out.Header(); herr == nil {
				_ = in.SendHeader(header)
			}
		}
		if errors.Is(err, io.EOF) {
			in.SetTrailer(out.Trailer())
			return nil
		}
		if err != nil {
			in.SetTrailer(out.Trailer())
			return err
		}
		if err := in.SendMsg(&f); err != nil {
			return err
		}
	}
}
