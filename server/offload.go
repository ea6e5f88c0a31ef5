package server

import (
	"sync"
	"sync/atomic"
)

// job is one offloaded NOTIFY on its way from the loop to a worker and back.
// The loop copies the ACK begun by HandleNotify into buf; the worker appends
// fn's actions and finishes the frame; the owner of the session (a loop, a std
// connection, a Session's caller) copies buf into the connection's output.
type job struct {
	fn         OffloadFunc
	sess       *Session
	buf        []byte // the ACK frame, length prefix at buf[0:4]
	payloadOff int    // where the ACK payload starts in buf
	limit      int    // maximum payload length
	streamID   uint64
	frameID    uint64
	connID     uint64
	code       int64 // error code put in the ACK, 0 if none
	rerouted   bool  // delivered to another session of the engine (async)
	hops       uint8
}

// owner is the session's hook into the goroutine that drives it, as the
// worker pool sees it: an epoll connection (its loop's queue and eventfd) or
// the jobQueue of a Session made by NewSession (std engine, spoptest). post
// hands it a finished job; it is called on worker goroutines and must not
// block. The owner then calls Session.deliver on its own goroutine.
type owner interface {
	post(j *job)
}

// pool is the bounded worker pool behind Request.Offload.
type pool struct {
	set    *settings
	jobs   chan *job    // buffered to OffloadQueue; sends never block (see reserve)
	queued atomic.Int64 // reserved or queued jobs not yet taken by a worker
	quit   chan struct{}
	closed atomic.Bool
	start  sync.Once
	free   sync.Pool
}

func newPool(set *settings) *pool {
	if set.Workers < 0 {
		return nil
	}
	return &pool{
		set:  set,
		jobs: make(chan *job, set.OffloadQueue),
		quit: make(chan struct{}),
	}
}

// reserve takes a queue slot for a job that will be submitted once
// HandleNotify returns; holding the slot is what makes submit non-blocking.
func (p *pool) reserve() bool {
	if p.closed.Load() {
		return false
	}
	p.start.Do(p.run)
	if p.queued.Add(1) > int64(cap(p.jobs)) {
		p.queued.Add(-1)
		return false
	}
	return true
}

func (p *pool) unreserve() { p.queued.Add(-1) }

func (p *pool) submit(j *job) { p.jobs <- j }

func (p *pool) getJob() *job {
	if j, ok := p.free.Get().(*job); ok {
		return j
	}
	return &job{buf: make([]byte, 0, 256)}
}

func (p *pool) putJob(j *job) {
	buf := j.buf[:0]
	*j = job{buf: buf}
	if cap(buf) <= 64<<10 {
		p.free.Put(j)
	}
}

func (p *pool) run() {
	for range p.set.Workers {
		go p.worker()
	}
}

func (p *pool) worker() {
	for {
		select {
		case j := <-p.jobs:
			p.queued.Add(-1)
			p.do(j)
		case <-p.quit:
			return
		}
	}
}

// do runs one job and posts the finished ACK to the session's owner.
func (p *pool) do(j *job) {
	acts := Actions{buf: j.buf, start: j.payloadOff, limit: j.limit}
	code, err := runOffload(j.fn, &acts)
	code, err = ackOutcome(code, err, &acts)
	j.fn = nil
	j.buf = finishAck(acts.buf, 0, j.payloadOff, p.set, code,
		HandlerError{ConnID: j.connID, StreamID: j.streamID, FrameID: j.frameID, Offloaded: true, Err: err})
	j.code = code
	j.sess.owner.post(j)
}

// stop ends the workers; queued jobs are dropped. It does not wait for the
// functions still running: user code may block for good, and Close must
// not. Their results are dropped when they finish (the loops are gone).
func (p *pool) stop() {
	if p.closed.Swap(true) {
		return
	}
	close(p.quit)
}

// jobQueue is the owner hook of sessions whose driver polls: worker goroutines append under a
// mutex and call wake; the owner takes the whole list at once.
type jobQueue struct {
	mu   sync.Mutex
	jobs []*job
	wake func()
}

func (q *jobQueue) post(j *job) {
	q.mu.Lock()
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
	if q.wake != nil {
		q.wake()
	}
}

// take moves the queued jobs into dst.
func (q *jobQueue) take(dst []*job) []*job {
	q.mu.Lock()
	dst = append(dst, q.jobs...)
	clear(q.jobs)
	q.jobs = q.jobs[:0]
	q.mu.Unlock()
	return dst
}
