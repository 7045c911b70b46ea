// Command yamux-go-peer is the Go reference peer of the interop suite. It speaks the
// command line of interop/PEER_CLI.md over TCP on top of either github.com/hashicorp/yamux
// or github.com/libp2p/go-yamux/v5 (--impl); the logic lives in package peer.
package main

import (
	"os"

	"yamux-interop/peer"
)

func main() {
	os.Exit(peer.Main("yamux-go-peer", os.Args[1:], peer.TCP{}))
}
