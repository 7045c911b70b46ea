// Command yamux-wasm-peer is the interop peer (interop/PEER_CLI.md, the logic of
// interop/go/peer on hashicorp/yamux or libp2p/go-yamux) built for WebAssembly. Its
// transport is not TCP but a descriptor the host gives it, one side of the shared-memory
// packet queue of docs/shmq.md:
//
//	yamux-wasm-peer --connect fd:3 [options]   yamux client over descriptor 3
//	yamux-wasm-peer --listen fd:3 [options]    yamux server over descriptor 3 (one session)
//
// GOOS=wasip1: the descriptor is a WASI socket-like descriptor whose fd_read/fd_write are
// the two directions of the queue (web/src/host/shmq-fd.js). GOOS=js: the queue is reached
// through syscall/js (see transport_js.go).
package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"yamux-interop/peer"
)

func main() {
	args := os.Args[1:]
	// A descriptor carries exactly one session: a listener serves it once.
	if slices.Contains(args, "--listen") && !slices.Contains(args, "--once") {
		args = append(args, "--once")
	}
	os.Exit(peer.Main("yamux-wasm-peer", args, transport{}))
}

// parseFD parses "fd:N".
func parseFD(addr string) (int, error) {
	s, ok := strings.CutPrefix(addr, "fd:")
	if !ok {
		return 0, fmt.Errorf("address %q: want fd:N", addr)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("address %q: bad descriptor", addr)
	}
	return n, nil
}
