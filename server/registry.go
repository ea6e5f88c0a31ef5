package server

import "sync"

// registry groups the sessions that negotiated async by engine-id, so that an
// offloaded ACK whose connection is gone can leave on another connection of
// the same engine (spop-reference.md §6.2: HAProxy 2.x matches ACKs against a
// per-thread queue, and its engine-id is per thread, so any connection with
// the same engine-id is right). It is touched at handshake, at close and when
// rerouting, never on the NOTIFY path.
type registry struct {
	mu sync.Mutex
	m  map[string][]*Session
}

func (r *registry) add(s *Session) {
	r.mu.Lock()
	if r.m == nil {
		r.m = make(map[string][]*Session)
	}
	r.m[s.engineKey] = append(r.m[s.engineKey], s)
	r.mu.Unlock()
}

func (r *registry) remove(s *Session) {
	r.mu.Lock()
	list := r.m[s.engineKey]
	for i, o := range list {
		if o == s {
			list[i] = list[len(list)-1]
			list[len(list)-1] = nil
			list = list[:len(list)-1]
			break
		}
	}
	if len(list) == 0 {
		delete(r.m, s.engineKey)
	} else {
		r.m[s.engineKey] = list
	}
	r.mu.Unlock()
}

// route hands j to a live session of the engine, other than from, and
// reports whether it found one. The chosen session's owner delivers it; if
// that session closes first, it routes again (bounded by job.hops).
func (r *registry) route(j *job, engine string, from *Session) bool {
	r.mu.Lock()
	var to *Session
	for _, s := range r.m[engine] {
		if s != from {
			to = s
			break
		}
	}
	r.mu.Unlock()
	if to == nil {
		return false
	}
	j.sess = to
	j.rerouted = true
	j.hops++
	to.owner.post(j)
	return true
}
