package server

const (
	defaultEngine  = EngineEpoll
	epollAvailable = true
)

func newEpollEngine(srv *Server) engine { return newStdEngine(srv) } // TODO: epoll
