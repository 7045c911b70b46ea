// Package peer is the Go reference peer of the interop suite: the command line of
// interop/PEER_CLI.md on top of either github.com/hashicorp/yamux or
// github.com/libp2p/go-yamux/v5 (--impl), over any transport that gives a net.Conn.
// cmd/yamux-go-peer runs it over TCP; web/go runs it in WebAssembly (wasip1) over a
// shared-memory queue descriptor.
package peer

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Exit statuses of PEER_CLI.md.
const (
	exitOK       = 0
	exitVerify   = 1
	exitUsage    = 2
	exitProtocol = 3
)

const defaultWindow = 256 * 1024

// options holds the parsed command line.
type options struct {
	impl       string
	listen     string
	connect    string
	open       int
	bytes      uint64
	window     uint64
	keepalive  int
	once       bool
	randomSeed uint64
	randomSet  bool
	mode       string
	sink       bool
	writeSize  int
	readDelay  time.Duration
	ping       int
	resetAfter int64 // -1: not set
	goAway     bool
	idle       int
	stats      bool
}

// Transport makes the connections under the sessions: Dial for --connect, Listen for
// --listen (its address is the one given on the command line).
type Transport interface {
	Dial(addr string) (net.Conn, error)
	Listen(addr string) (net.Listener, error)
}

// TCP is the transport of the native peer.
type TCP struct{}

func (TCP) Dial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 10*time.Second) }

func (TCP) Listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// progName prefixes diagnostics.
var progName = "yamux-go-peer"

func usage(format string, args ...any) {
	fmt.Fprintf(os.Stderr, progName+": "+format+"\n", args...)
	fmt.Fprintln(os.Stderr, "usage: "+progName+" (--listen HOST:PORT | --connect HOST:PORT) [options]; see interop/PEER_CLI.md")
	os.Exit(exitUsage)
}

func parseFlags(args []string) *options {
	o := &options{}
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.StringVar(&o.impl, "impl", "hashicorp", "yamux library: hashicorp | libp2p")
	fs.StringVar(&o.listen, "listen", "", "listen on HOST:PORT and act as yamux server")
	fs.StringVar(&o.connect, "connect", "", "dial HOST:PORT and act as yamux client")
	fs.IntVar(&o.open, "open", 0, "open N streams, echo-verify B bytes on each")
	fs.Uint64Var(&o.bytes, "bytes", 0, "bytes per opened stream")
	fs.Uint64Var(&o.window, "window", defaultWindow, "max stream receive window")
	fs.IntVar(&o.keepalive, "keepalive", 30, "keepalive interval in seconds (0 disables)")
	fs.BoolVar(&o.once, "once", false, "with --listen: serve one connection")
	random := fs.String("random-sizes", "", "with --open: pseudo-random sizes in [0, B] from SEED")
	fs.StringVar(&o.mode, "mode", "echo", "accepted streams: echo | sink")
	fs.BoolVar(&o.sink, "sink", false, "with --open: the remote is a sink")
	fs.IntVar(&o.writeSize, "write-size", 65536, "size of each write on opened streams")
	readDelay := fs.Int("read-delay", 0, "milliseconds to wait before each read")
	fs.IntVar(&o.ping, "ping", 0, "send N pings after connecting")
	fs.Int64Var(&o.resetAfter, "reset-after", -1, "with --open: reset each stream after BYTES")
	fs.BoolVar(&o.goAway, "goaway", false, "send GoAway(0) once the opened streams are done")
	fs.IntVar(&o.idle, "idle", 0, "open N idle streams and print the RSS")
	fs.BoolVar(&o.stats, "stats", false, "print a final stats line")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			os.Exit(exitOK)
		}
		os.Exit(exitUsage)
	}
	if fs.NArg() != 0 {
		usage("unexpected argument %q", fs.Arg(0))
	}
	if *random != "" {
		seed, err := parseUint(*random)
		if err != nil {
			usage("--random-sizes: %v", err)
		}
		o.randomSeed, o.randomSet = seed, true
	}
	o.readDelay = time.Duration(*readDelay) * time.Millisecond
	switch {
	case o.impl != "hashicorp" && o.impl != "libp2p":
		usage("--impl must be hashicorp or libp2p")
	case (o.listen == "") == (o.connect == ""):
		usage("exactly one of --listen and --connect is required")
	case o.once && o.listen == "":
		usage("--once needs --listen")
	case o.mode != "echo" && o.mode != "sink":
		usage("--mode must be echo or sink")
	case o.open < 0 || o.ping < 0 || o.idle < 0 || o.keepalive < 0 || *readDelay < 0:
		usage("counts and durations must not be negative")
	case o.writeSize <= 0:
		usage("--write-size must be positive")
	case o.window < defaultWindow || o.window > 1<<32-1:
		// Both Go libraries refuse windows below the protocol's initial 256 KiB.
		usage("--window must be in [262144, 4294967295] for the Go peers")
	case o.open == 0 && (o.randomSet || o.sink || o.resetAfter >= 0):
		usage("--random-sizes, --sink and --reset-after need --open")
	case o.resetAfter < -1:
		usage("--reset-after must not be negative")
	case o.sink && o.resetAfter >= 0:
		usage("--sink and --reset-after exclude each other")
	}
	addr := o.listen + o.connect
	if _, _, err := net.SplitHostPort(addr); err != nil {
		usage("bad address %q: %v", addr, err)
	}
	return o
}

func parseUint(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not an unsigned integer: %q", s)
	}
	return v, nil
}

// Main runs the peer with the command line args (without the program name) over t and
// returns the exit status. name prefixes diagnostics.
func Main(name string, args []string, t Transport) int {
	progName = name
	o := parseFlags(args)
	st := newStats()
	if o.connect != "" {
		return runClient(o, st, t)
	}
	return runListener(o, st, t)
}

func runClient(o *options, st *stats, t Transport) int {
	conn, err := t.Dial(o.connect)
	if err != nil {
		fmt.Fprintf(os.Stderr, "yamux-go-peer: connect %s: %v\n", o.connect, err)
		return exitVerify
	}
	st.start()
	code := runSession(o, st, conn, true)
	st.print(o.stats)
	return code
}

func runListener(o *options, st *stats, t Transport) int {
	ln, err := t.Listen(o.listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "yamux-go-peer: listen %s: %v\n", o.listen, err)
		return exitUsage
	}
	fmt.Printf("listening %s\n", ln.Addr())

	if o.once {
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "yamux-go-peer: accept: %v\n", err)
			return exitVerify
		}
		st.start()
		code := runSession(o, st, conn, false)
		st.print(o.stats)
		return code
	}

	// Serve many connections at once until SIGINT/SIGTERM; one bad connection never
	// takes the others down (each session's outcome is only logged).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	var once sync.Once
	go func() {
		<-sig
		once.Do(func() { st.print(o.stats) })
		os.Exit(exitOK)
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			fmt.Fprintf(os.Stderr, "yamux-go-peer: accept: %v\n", err)
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: back off, keep serving
			continue
		}
		st.start()
		go func() {
			remote := conn.RemoteAddr()
			code := runSession(o, st, conn, false)
			fmt.Fprintf(os.Stderr, "yamux-go-peer: session %v ended, status %d\n", remote, code)
		}()
	}
}

// logOutput is where the libraries' own diagnostics go.
var logOutput io.Writer = os.Stderr
