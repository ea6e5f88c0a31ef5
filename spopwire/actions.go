package spopwire

import "strconv"

// An ACK payload is a LIST-OF-ACTIONS (ref §3.6):
//
//	SET-VAR   = 0x01 0x03 <scope: 1 byte> <raw-string name> <typed-data value>
//	UNSET-VAR = 0x02 0x02 <scope: 1 byte> <raw-string name>

// ActionType is the first byte of an action.
type ActionType uint8

// The two action types.
const (
	ActionSetVar   ActionType = 1
	ActionUnsetVar ActionType = 2
)

// String returns "set-var" or "unset-var".
func (t ActionType) String() string {
	switch t {
	case ActionSetVar:
		return "set-var"
	case ActionUnsetVar:
		return "unset-var"
	}
	return "action(" + strconv.Itoa(int(t)) + ")"
}

// Scope is the scope of a variable set by an action. HAProxy names the
// variable <scope>.<var-prefix>.<name>.
type Scope uint8

// The five scopes.
const (
	ScopeProcess     Scope = 0 // proc: needs register-var-names or option force-set-var
	ScopeSession     Scope = 1 // sess
	ScopeTransaction Scope = 2 // txn
	ScopeRequest     Scope = 3 // req
	ScopeResponse    Scope = 4 // res
)

var scopeNames = [...]string{"proc", "sess", "txn", "req", "res"}

// String returns the scope as haproxy.cfg spells it: "proc", "sess", "txn", "req", "res".
func (s Scope) String() string {
	if int(s) < len(scopeNames) {
		return scopeNames[s]
	}
	return "scope(" + strconv.Itoa(int(s)) + ")"
}

// ParseScope returns the scope named as in haproxy.cfg ("txn", …).
func ParseScope(name string) (Scope, bool) {
	for i, n := range scopeNames {
		if n == name {
			return Scope(i), true
		}
	}
	return 0, false
}

// MaxVarName is the longest full variable name HAProxy keeps:
// len(scope) + 1 + len(var-prefix) + 1 + len(name) must not exceed it (ref §3.6).
const MaxVarName = 63

// AppendSetVar appends a set-var action. A NULL value makes HAProxy unset the
// variable.
func AppendSetVar(b []byte, scope Scope, name string, v Value) []byte {
	b = append(b, byte(ActionSetVar), 3, byte(scope))
	return AppendValue(AppendRawString(b, name), v)
}

// AppendUnsetVar appends an unset-var action.
func AppendUnsetVar(b []byte, scope Scope, name string) []byte {
	return AppendRawString(append(b, byte(ActionUnsetVar), 2, byte(scope)), name)
}

// Action is one decoded action; Name is a view into the payload and Value is
// NULL for unset-var.
type Action struct {
	Type  ActionType
	Scope Scope
	Name  []byte
	Value Value
}

// AppendAction appends a as encoded by AppendSetVar or AppendUnsetVar.
func AppendAction(b []byte, a Action) []byte {
	if a.Type == ActionUnsetVar {
		return AppendRawBytes(append(b, byte(ActionUnsetVar), 2, byte(a.Scope)), a.Name)
	}
	b = append(b, byte(ActionSetVar), 3, byte(a.Scope))
	return AppendValue(AppendRawBytes(b, a.Name), a.Value)
}

// ConsumeAction decodes one action. Unknown action types, a wrong NB-ARGS and
// unknown scopes are invalid (HAProxy would stop applying the list there).
func ConsumeAction(b []byte) (Action, int) {
	if len(b) < 3 {
		return Action{}, codeNeedMore
	}
	a := Action{Type: ActionType(b[0]), Scope: Scope(b[2])}
	if a.Scope > ScopeResponse {
		return Action{}, codeInvalid
	}
	switch {
	case a.Type == ActionSetVar && b[1] == 3, a.Type == ActionUnsetVar && b[1] == 2:
	default:
		return Action{}, codeInvalid
	}
	name, n := ConsumeRawBytes(b[3:])
	if n < 0 {
		return Action{}, n
	}
	a.Name = name
	n += 3
	if a.Type == ActionUnsetVar {
		return a, n
	}
	v, m := ConsumeValue(b[n:])
	if m < 0 {
		return Action{}, m
	}
	a.Value = v
	return a, n + m
}

// ActionIter walks the actions of a complete ACK payload.
type ActionIter struct {
	b   []byte
	err error
}

// Actions returns an iterator over the actions of an ACK payload.
func Actions(payload []byte) ActionIter { return ActionIter{b: payload} }

// Next returns the next action; ok is false at the end or on error.
func (it *ActionIter) Next() (Action, bool) {
	if len(it.b) == 0 || it.err != nil {
		return Action{}, false
	}
	a, n := ConsumeAction(it.b)
	if n < 0 {
		it.err = ParseError(completeFrame(n))
		it.b = nil
		return Action{}, false
	}
	it.b = it.b[n:]
	return a, true
}

// Err returns the error that stopped the iteration, if any.
func (it *ActionIter) Err() error { return it.err }
