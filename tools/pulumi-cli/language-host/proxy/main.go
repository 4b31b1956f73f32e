// Command pulumi-language-nodejs is the Node.js language host that `npm run pulumi:install` puts on PATH: a thin
// gRPC proxy in front of the released v3.68 host (built beside it as pulumi-language-nodejs-v3.68, the newest one
// the module proxy serves), adding the one RPC that host lacks and a current engine relies on.
//
// The v3.248 engine runs a Node.js policy pack through the language host's RunPlugin whenever a `nodejs` language
// plugin is installed; v3.68 answers "not supported" there, so `pulumi preview --policy-pack` would fail. This
// proxy forwards every call to the real host unchanged (as raw bytes, so fields either side does not know survive)
// and answers RunPlugin itself for analyzers by starting @pulumi/pulumi's policy-pack runner (see policy.go).
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// realHostName is the released language host's file name, next to this executable.
const realHostName = "pulumi-language-nodejs-v3.68"

// maxMessage matches the engine's own limit for plugin messages: programs can send large resource graphs.
const maxMessage = 400 * 1024 * 1024

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this executable: %w", err)
	}
	realHost := filepath.Join(filepath.Dir(self), realHostName)

	// The real host gets our arguments as they are (flags, then the engine address) and shares our stderr.
	child := exec.Command(realHost, os.Args[1:]...)
	child.Stderr = os.Stderr
	childOut, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	if err := child.Start(); err != nil {
		return fmt.Errorf("starting %s: %w (run npm run pulumi:install again)", realHost, err)
	}
	forwardSignals(child)

	// Like every plugin, the host prints the port it listens on as its first line.
	lines := bufio.NewReader(childOut)
	portLine, err := lines.ReadString('\n')
	if err != nil {
		_ = child.Wait()
		return fmt.Errorf("%s exited before printing its port: %w", realHostName, err)
	}
	go func() { _, _ = lines.WriteTo(os.Stdout) }()

	conn, err := grpc.Dial("127.0.0.1:"+strings.TrimSpace(portLine),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}),
			grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)))
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", realHostName, err)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := grpc.NewServer(
		grpc.ForceServerCodec(rawCodec{}),
		grpc.UnknownServiceHandler(proxy{conn: conn}.handle),
		grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))
	go func() { _ = server.Serve(listener) }()
	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)

	// The real host decides when the session is over (it watches the engine); we end with it, with its code.
	waitErr := child.Wait()
	server.Stop()
	if exit, ok := waitErr.(*exec.ExitError); ok {
		os.Exit(exit.ExitCode())
	}
	return waitErr
}

// forwardSignals passes the engine's interrupt or termination on to the real host, which then shuts down.
func forwardSignals(child *exec.Cmd) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range signals {
			_ = child.Process.Signal(sig)
		}
	}()
}
