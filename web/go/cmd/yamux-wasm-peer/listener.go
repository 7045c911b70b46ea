package main

import (
	"net"
	"sync"
)

func newOneConnListener(c net.Conn, addr string) net.Listener {
	return &oneConnListener{c: c, addr: fdAddr(addr), done: make(chan struct{})}
}

// oneConnListener yields its one connection, then blocks until closed.
type oneConnListener struct {
	mu   sync.Mutex
	c    net.Conn
	addr fdAddr
	done chan struct{}
	once sync.Once
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	c := l.c
	l.c = nil
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return l.addr }

type fdAddr string

func (a fdAddr) Network() string { return "shmq" }
func (a fdAddr) String() string  { return string(a) }
