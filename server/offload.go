package server

import (
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/spopkit/spopkit/spopwire"
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

// poster is how a finished job reaches the goroutine that owns its session:
// an epoll loop (queue + eventfd), a std connection, or a Session's caller.
// post is called on worker goroutines and must not block.
type poster interface {
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
	report func(error)
}

func newPool(set *settings) *pool {
	if set.Workers < 0 {
		return nil
	}
	return &pool{
		set:    set,
		jobs:   make(chan *job, set.OffloadQueue),
		quit:   make(chan struct{}),
		report: set.reportError,
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
	j.fn = nil
	buf := acts.buf
	if code == 0 && acts.err != nil {
		code, err = ErrorCodeAckTooBig, acts.err
	}
	if code != 0 {
		buf = appendErrorVar(buf[:j.payloadOff], p.set, code)
		p.report(&HandlerError{Code: code, ConnID: j.connID, StreamID: j.streamID, FrameID: j.frameID, Offloaded: true, Err: err})
	}
	spopwire.FinishFrame(buf, 0)
	j.buf, j.code = buf, code
	j.sess.post.post(j)
}

func runOffload(fn OffloadFunc, acts *Actions) (code int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			code, err = ErrorCodePanic, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	if err := fn(acts); err != nil {
		return ErrorCodeHandler, err
	}
	return 0, nil
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

// appendErrorVar appends the set-var of the error variable.
func appendErrorVar(b []byte, set *settings, code int64) []byte {
	return spopwire.AppendSetVar(b, set.errVarScope, set.errVarName, spopwire.Int64Value(set.ErrorCodeBase+code))
}

// jobQueue is a poster for owners that poll: worker goroutines append under a
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
