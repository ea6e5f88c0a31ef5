package spoa

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/alecthomas/kong"
)

// Main parses os.Args for the given agents, runs the chosen one and exits
// with its status. With several agents each is a subcommand (spoa iprep …);
// with one, its name may be left out (the generated main.go of an agent).
func Main(agents ...Agent) {
	os.Exit(Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, agents...))
}

// Run is Main without the process: it parses args (without the program
// name), runs the command until it ends or ctx is cancelled (which drains
// the agent like SIGTERM), and returns the exit status: 0 on success, 1 on
// failure, 2 for a command-line error (as the flag package and most Unix
// tools).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, agents ...Agent) int {
	return run(args, &deps{ctx: ctx, stdout: stdout, stderr: stderr}, agents)
}

// deps is what the commands need from their surroundings, bound with
// kong.Bind; tests replace the signal source and observe readiness.
type deps struct {
	ctx            context.Context
	stdout, stderr io.Writer
	signals        <-chan os.Signal    // nil: the process's SIGINT, SIGTERM, SIGHUP
	ready          func(addr net.Addr) // called once the agent listens, if set
	metricsReady   func(addr net.Addr) // called once --metrics-addr listens, if set
}

// exitCode is the panic value by which kong.Exit unwinds the parse in run.
type exitCode int

func run(args []string, d *deps, agents []Agent) (code int) {
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(exitCode)
			if !ok {
				panic(r)
			}
			code = int(c)
		}
	}()
	parser, err := newParser(d, agents)
	if err != nil {
		fmt.Fprintf(d.stderr, "spoa: %v\n", err)
		return 1
	}
	kctx := mustParse(parser, args)
	parser.FatalIfErrorf(kctx.Run(d))
	return 0
}

// mustParse parses args; on an error it prints the usage and the error and
// exits (through kong.Exit) with exitUsage.
func mustParse(parser *kong.Kong, args []string) *kong.Context {
	kctx, err := parser.Parse(args)
	if err != nil {
		parser.FatalIfErrorf(usageError{err})
	}
	return kctx
}

// exitUsage is the exit status of a command-line error. kong's own is 80,
// and 1 for some errors (a flag value its mapper rejects); 2 is what the
// flag package, coreutils and most Go tools use.
const exitUsage = 2

// usageError is a parse error that exits with exitUsage. It unwraps to
// kong's *ParseError, so that FatalIfErrorf still prints the usage.
type usageError struct{ error }

func (usageError) ExitCode() int   { return exitUsage }
func (e usageError) Unwrap() error { return e.error }

// newParser builds the kong parser with one command per agent.
func newParser(d *deps, agents []Agent) (*kong.Kong, error) {
	c := &cli{}
	name, desc := "spoa", "Run a SPOE agent (Stream Processing Offload Agent) for HAProxy."
	if len(agents) == 1 {
		name, desc = agents[0].Name, agents[0].Help
	}
	opts := []kong.Option{
		kong.Name(name),
		kong.Description(desc),
		kong.Writers(d.stdout, d.stderr),
		kong.Exit(func(code int) { panic(exitCode(code)) }),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Help(helpPrinter),
		kong.Vars{
			"version":        version(),
			"default_engine": defaultEngine(),
		},
		kong.DefaultEnvars("SPOA"),
		kong.Bind(d, agents, &c.Globals),
	}
	seen := map[string]bool{}
	for name := range toolCommands {
		seen[name] = true
	}
	hasFiles := false
	for i := range agents {
		a := &agents[i]
		if a.Name == "" || seen[a.Name] {
			return nil, fmt.Errorf("agent name %q is empty or used twice", a.Name)
		}
		seen[a.Name] = true
		hasFiles = hasFiles || len(a.Files) > 0
		cmd := &agentCmd{agent: a}
		if a.Flags != nil {
			cmd.Plugins = kong.Plugins{a.Flags}
		}
		var tags []string
		if len(agents) == 1 {
			tags = append(tags, `default:"withargs"`)
		}
		opts = append(opts, kong.DynamicCommand(a.Name, a.Help, "Agents:", cmd, tags...))
	}
	parser, err := kong.New(c, opts...)
	if err != nil {
		return nil, err
	}
	if !hasFiles {
		// A generated agent ships no example files: a config command
		// would have nothing to print.
		for _, n := range parser.Model.Children {
			if n.Name == "config" {
				n.Hidden = true
			}
		}
	}
	return parser, nil
}

// toolCommands are spoa's commands that are not agents. Agents may not take
// their names, and their help lists only their own flags.
var toolCommands = map[string]bool{"probe": true, "config": true, "record-dump": true, "replay": true}

// helpPrinter is kong's, except that the help of a tool command lists only
// its own flags: the agent flags it inherits from the root apply to agents
// only.
func helpPrinter(opts kong.HelpOptions, ctx *kong.Context) error {
	if cmd := ctx.Selected(); cmd != nil && toolCommands[cmd.Name] {
		for _, f := range ctx.Model.Flags {
			if f.Name != "help" && !f.Hidden {
				f.Hidden = true
				defer func() { f.Hidden = false }()
			}
		}
	}
	return kong.DefaultHelpPrinter(opts, ctx)
}
