//go:build wasip1

package main

import (
	"net"
	"os"
)

// transport opens the queue descriptor as a net.Conn with net.FileConn: the host reports
// it as a SOCKET_STREAM, so package net registers it with the runtime's poller. A Read on
// an empty queue gets EAGAIN from fd_read and parks the goroutine on the poll descriptor;
// when every goroutine waits, the scheduler calls poll_oneoff with an fd_read (and, for a
// full queue, fd_write) subscription for it plus a clock subscription for the next timer.
// See web/go/README.md.
type transport struct{}

func fileConn(addr string) (net.Conn, error) {
	fd, err := parseFD(addr)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "shmq")
	c, err := net.FileConn(f) // shares the descriptor (reference counted)
	f.Close()
	return c, err
}

func (transport) Dial(addr string) (net.Conn, error) { return fileConn(addr) }

func (transport) Listen(addr string) (net.Listener, error) {
	c, err := fileConn(addr)
	if err != nil {
		return nil, err
	}
	return newOneConnListener(c, addr), nil
}
