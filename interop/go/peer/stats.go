package peer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stats are the counters of --stats, shared by all sessions of the process.
type stats struct {
	streamsOpened   atomic.Int64
	streamsAccepted atomic.Int64
	bytesSent       atomic.Int64
	bytesReceived   atomic.Int64
	pings           atomic.Int64

	startOnce sync.Once
	t0        time.Time
	printOnce sync.Once
}

func newStats() *stats { return &stats{} }

// start marks the beginning of the first session.
func (s *stats) start() { s.startOnce.Do(func() { s.t0 = time.Now() }) }

func (s *stats) print(enabled bool) {
	if !enabled {
		return
	}
	s.printOnce.Do(func() {
		secs := 0.0
		if !s.t0.IsZero() {
			secs = time.Since(s.t0).Seconds()
		}
		b, _ := json.Marshal(struct {
			StreamsOpened   int64   `json:"streams_opened"`
			StreamsAccepted int64   `json:"streams_accepted"`
			BytesSent       int64   `json:"bytes_sent"`
			BytesReceived   int64   `json:"bytes_received"`
			Seconds         float64 `json:"seconds"`
			Pings           int64   `json:"pings"`
		}{s.streamsOpened.Load(), s.streamsAccepted.Load(), s.bytesSent.Load(),
			s.bytesReceived.Load(), secs, s.pings.Load()})
		fmt.Printf("stats %s\n", b)
	})
}

// rssBytes is the resident set size of this process (VmRSS of /proc/self/status).
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
