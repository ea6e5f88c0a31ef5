package spoa

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"

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
// failure, 80 for a command-line error.
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
	kctx, err := parser.Parse(args)
	parser.FatalIfErrorf(err)
	parser.FatalIfErrorf(kctx.Run(d))
	return 0
}

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
		kong.Vars{
			"version":        version(),
			"default_engine": defaultEngine(),
		},
		kong.DefaultEnvars("SPOA"),
		kong.Bind(d, agents, &c.Globals),
	}
	seen := map[string]bool{"probe": true, "config": true, "record-dump": true, "replay": true}
	for i := range agents {
		a := &agents[i]
		if a.Name == "" || seen[a.Name] {
			return nil, fmt.Errorf("agent name %q is empty or used twice", a.Name)
		}
		seen[a.Name] = true
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
	return kong.New(c, opts...)
}

// version is the module version of the running binary ("(devel)" when built
// from a checkout), with the VCS revision when the build recorded one.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
