package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
)

// runPluginRequest holds the fields of pulumirpc.RunPluginRequest a policy pack needs. It is decoded by field
// number because the released host's generated types predate `info` and `kind`.
type runPluginRequest struct {
	args       []string // 3: the engine's flags and address
	env        []string // 4: the complete environment for the plugin
	programDir string   // 5 (ProgramInfo) . 2: the policy pack's directory, absolute
	entryPoint string   // 5 (ProgramInfo) . 3: what to run there, relative to it ("." for a pack)
	kind       string   // 6: "analyzer" for policy packs
}

func decodeRunPluginRequest(b []byte) (runPluginRequest, error) {
	var req runPluginRequest
	err := eachField(b, func(num protowire.Number, value []byte) error {
		switch num {
		case 3:
			req.args = append(req.args, string(value))
		case 4:
			req.env = append(req.env, string(value))
		case 6:
			req.kind = string(value)
		case 5:
			return eachField(value, func(num protowire.Number, value []byte) error {
				switch num {
				case 2:
					req.programDir = string(value)
				case 3:
					req.entryPoint = string(value)
				}
				return nil
			})
		}
		return nil
	})
	return req, err
}

// eachField calls visit with every length-delimited field of a message and skips the others.
func eachField(b []byte, visit func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("malformed RunPluginRequest: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fmt.Errorf("malformed RunPluginRequest: %w", protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		value, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return fmt.Errorf("malformed RunPluginRequest: %w", protowire.ParseError(n))
		}
		if err := visit(num, value); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// runPolicyPackModule is @pulumi/pulumi's runner for policy packs (the engine spots this name in "Cannot find
// module" output and tells the user to install the pack's dependencies).
const runPolicyPackModule = "@pulumi/pulumi/cmd/run-policy-pack"

// runPolicyPack runs `node <run-policy-pack> <engine flags and address> <entry>` in the pack's directory, as the
// current host does, and streams its output and exit code back as RunPluginResponse messages. The engine reads
// the analyzer's port from the first line of that stdout.
func runPolicyPack(req runPluginRequest, stream grpc.ServerStream) error {
	out := &responseWriter{stream: stream}
	runner := findPackage(req.programDir, filepath.FromSlash(runPolicyPackModule+"/index.js"))
	if runner == "" {
		fmt.Fprintf(out.stderr(), "Error: Cannot find module '%s' from %s: run npm install where the policy pack is installed\n",
			runPolicyPackModule, req.programDir)
		return out.exit(1)
	}
	entry := req.entryPoint
	if entry == "" {
		entry = "."
	}
	cmd := exec.CommandContext(stream.Context(), "node", append(append([]string{runner}, req.args...), entry)...)
	cmd.Dir = req.programDir
	cmd.Env = req.env
	cmd.Stdout = out.stdout()
	cmd.Stderr = out.stderr()
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.exit(0)
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return out.exit(int32(exit.ExitCode()))
	case stream.Context().Err() != nil:
		return nil // the engine is done with the pack and cancelled the call: node was stopped for it
	default:
		fmt.Fprintf(out.stderr(), "running the policy pack with node: %v\n", err)
		return out.exit(1)
	}
}

// findPackage looks for rel under node_modules in dir and each directory above it, as Node resolves a package.
func findPackage(dir, rel string) string {
	for {
		candidate := filepath.Join(dir, "node_modules", rel)
		if _, err := os.Stat(candidate); err == nil {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// responseWriter turns output into RunPluginResponse messages (oneof: 1 stdout, 2 stderr, 3 exitcode). The two
// pipes write from their own goroutines and a stream takes one sender at a time, hence the lock.
type responseWriter struct {
	stream grpc.ServerStream
	mu     sync.Mutex
}

type responseStream struct {
	w     *responseWriter
	field protowire.Number
}

func (w *responseWriter) stdout() io.Writer { return responseStream{w, 1} }
func (w *responseWriter) stderr() io.Writer { return responseStream{w, 2} }

func (s responseStream) Write(p []byte) (int, error) {
	msg := protowire.AppendBytes(protowire.AppendTag(nil, s.field, protowire.BytesType), p)
	if err := s.w.send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *responseWriter) exit(code int32) error {
	msg := protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), uint64(int64(code)))
	return w.send(msg)
}

func (w *responseWriter) send(msg []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stream.SendMsg(&frame{payload: msg})
}
