package peer

// Deterministic stream payloads (PEER_CLI.md): byte k of the stream with id S is
//   (k*31 + S*7 + (k>>8)) & 0xFF
// Within a 256-byte block m (k = 256m + j) this is (j*31 + c) & 0xFF with
// c = (S*7 + m) & 0xFF, so every block is one of 256 precomputed rows.

var patternRows = func() (rows [256][256]byte) {
	for c := 0; c < 256; c++ {
		for j := 0; j < 256; j++ {
			rows[c][j] = byte(j*31 + c)
		}
	}
	return
}()

// fillPattern writes the bytes [off, off+len(dst)) of stream id's payload into dst.
func fillPattern(dst []byte, id uint32, off uint64) {
	s7 := uint64(id) * 7
	for len(dst) > 0 {
		m := off >> 8
		j := off & 0xFF
		n := copy(dst, patternRows[(s7+m)&0xFF][j:])
		dst = dst[n:]
		off += uint64(n)
	}
}

// splitmix64 is the generator behind --random-sizes.
type splitmix64 struct{ state uint64 }

func (s *splitmix64) next() uint64 {
	s.state += 0x9E3779B97F4A7C15
	z := s.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// streamSizes returns the payload size of each of the n opened streams.
func streamSizes(o *options) []uint64 {
	sizes := make([]uint64, o.open)
	rng := splitmix64{state: o.randomSeed}
	for i := range sizes {
		if o.randomSet {
			if o.bytes == ^uint64(0) {
				sizes[i] = rng.next()
			} else {
				sizes[i] = rng.next() % (o.bytes + 1)
			}
		} else {
			sizes[i] = o.bytes
		}
	}
	return sizes
}
