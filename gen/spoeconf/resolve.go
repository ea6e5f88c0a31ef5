package spoeconf

// Usage is what the agent of a scope sends, resolved the way HAProxy links
// an agent to its messages and groups when it loads the scope.
type Usage struct {
	Scope *Scope
	Agent *Agent // nil when the scope has no agent (then everything else is empty)

	// Messages are the messages of the agent's "messages" lines that are
	// declared and have a known event, in listing order. HAProxy sends them
	// when their event fires, all messages of one event in one NOTIFY.
	Messages []*Message

	// Groups are the groups of the agent's "groups" lines that are
	// declared, in listing order; "send-spoe-group" rules send them.
	Groups []GroupUsage

	// Ignored are listed messages HAProxy does not send: declared but
	// without event (HAProxy warns), or with an unknown event (refused).
	Ignored []*Message

	// Missing are names listed by the agent or by one of its groups that
	// are not declared in the scope (HAProxy refuses the scope).
	Missing []Ident
}

// GroupUsage is a group an agent lists, with its declared messages.
type GroupUsage struct {
	Group    *Group
	Messages []*Message
}

// Resolve returns what the scope's agent uses. It never fails: problems are
// recorded in Ignored and Missing, and Check reports them.
func (s *Scope) Resolve() *Usage {
	u := &Usage{Scope: s, Agent: s.Agent()}
	if u.Agent == nil {
		return u
	}
	for _, id := range u.Agent.Messages {
		m := s.Message(id.Name)
		switch {
		case m == nil:
			u.Missing = append(u.Missing, id)
		case m.Event == nil || !m.Event.Event.Known():
			u.Ignored = append(u.Ignored, m)
		default:
			u.Messages = append(u.Messages, m)
		}
	}
	for _, id := range u.Agent.Groups {
		g := s.Group(id.Name)
		if g == nil {
			u.Missing = append(u.Missing, id)
			continue
		}
		gu := GroupUsage{Group: g}
		for _, mid := range g.Messages {
			if m := s.Message(mid.Name); m != nil {
				gu.Messages = append(gu.Messages, m)
			} else {
				u.Missing = append(u.Missing, mid)
			}
		}
		u.Groups = append(u.Groups, gu)
	}
	return u
}

// EventMessages returns the messages sent on event e, in the order of the
// NOTIFY frame (the agent's listing order).
func (u *Usage) EventMessages(e Event) []*Message {
	var out []*Message
	for _, m := range u.Messages {
		if m.Event.Event == e {
			out = append(out, m)
		}
	}
	return out
}

// AllMessages returns every message the agent can send, by event or by
// group, each once: event messages first, then group messages, in listing
// order. This is the set a code generator needs decoders for.
func (u *Usage) AllMessages() []*Message {
	seen := make(map[*Message]bool)
	var out []*Message
	add := func(m *Message) {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, m := range u.Messages {
		add(m)
	}
	for _, g := range u.Groups {
		for _, m := range g.Messages {
			add(m)
		}
	}
	return out
}
