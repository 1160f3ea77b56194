// pulumi-language-nodejs: a minimal Node.js language host for the Pulumi engine.
//
// Why this exists: the real language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is not served by the Go module proxy on this machine, while sdk/v3 (which holds the gRPC protocol and the
// plugin helpers) is. This program speaks the same LanguageRuntime gRPC protocol and runs programs the same
// way the real host does: it spawns `node <@pulumi/pulumi/cmd/run> --monitor ... <entry point>` in the
// program directory, with the stack configuration in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS.
//
// Differences from the real host (all deliberate, see README.md):
//   - no monitor proxy and no `--sync` pipes: @pulumi/pulumi >= 3.x no longer reads the synchronous-invoke
//     pipes (runtime/settings.js tryGetSyncInvokes has no caller), so the program talks to the engine's
//     resource monitor directly;
//   - TypeScript is left entirely to @pulumi/pulumi/cmd/run (PULUMI_NODEJS_TYPESCRIPT, set unless
//     `runtime.options.typescript: false`, exactly like the real host); the intended case is precompiled JS;
//   - no code generation, packing, linking, conversion or plugin running (RunPlugin): those RPCs answer
//     Unimplemented, which the engine only needs for `pulumi new/convert/package/plugin run` style commands.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/blang/semver"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// The module that runs a Pulumi program; resolved from the program directory with require.resolve.
	// May be overridden with PULUMI_LANGUAGE_NODEJS_RUN_PATH (same as the real host).
	defaultRunPath = "@pulumi/pulumi/cmd/run"

	// Environment variables read by @pulumi/pulumi/runtime/config.js.
	pulumiConfigVar           = "PULUMI_CONFIG"
	pulumiConfigSecretKeysVar = "PULUMI_CONFIG_SECRET_KEYS" //nolint:gosec // a variable name, not a secret

	// Exit code used by @pulumi/pulumi/cmd/run when it has already shown the user an actionable error
	// (nodeJSProcessExitedAfterLoggingUserActionableMessage). The host then answers `bail` so the
	// engine prints nothing more.
	exitCodeErrorAlreadyReported = 32
)

func main() {
	var tracing string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	// Flags the real host accepts (all obsolete there too); accepted so that an engine passing them works.
	flag.Bool("typescript", true, "[obsolete] use runtime.options.typescript in Pulumi.yaml")
	flag.String("root", "", "[obsolete] project root path")
	flag.String("tsconfig", "", "[obsolete] use runtime.options.tsconfig in Pulumi.yaml")
	flag.String("nodeargs", "", "[obsolete] use runtime.options.nodeargs in Pulumi.yaml")
	flag.String("packagemanager", "", "[obsolete] use runtime.options.packagemanager in Pulumi.yaml")
	// -v and -logtostderr (passed by the engine with --logflow) are registered by glog via the logging package.
	flag.Parse()

	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-nodejs", "pulumi-language-nodejs", tracing)

	// The engine passes its own gRPC address as the (last) positional argument.
	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(cancelChannel)
	}()

	// Exit on our own, and stop the program we run, once the engine is gone. A killed engine
	// (`kill -9` of the CLI's process group: plugins are in groups of their own) cannot stop us, and
	// the real host's health check runs only every 5 minutes, so a killed `pulumi up` would leave us
	// and the program running that long.
	var engineGone <-chan struct{} // nil, never ready, when attached without an engine address
	if engineAddress != "" {
		gone, err := watchEngine(engineAddress, engineWatchInterval)
		if err != nil {
			cmdutil.Exit(fmt.Errorf("could not watch the engine at %s: %w", engineAddress, err))
		}
		engineGone = gone
		// Our stdout and stderr are pipes to the engine: once it is gone, a write to them would kill
		// us with SIGPIPE before we stop the program. Ignored, the write fails and we go on.
		signal.Ignore(syscall.SIGPIPE)
		go func() {
			<-gone
			cancel()
			// GracefulStop waits for RPCs in flight (a Run whose program ignores SIGTERM, an npm
			// install): do not wait for them longer than this.
			time.Sleep(programStopGrace + 2*time.Second)
			os.Exit(1)
		}()
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &nodeLanguageHost{
				engineAddress: engineAddress, tracing: tracing, engineGone: engineGone,
			})
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}

	// The engine reads the port from the first line of our stdout.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type nodeLanguageHost struct {
	// Answers Unimplemented for every RPC not defined below (GenerateProgram, GenerateProject,
	// GeneratePackage, Pack, Link, RunPlugin, Template, Cancel, GetRequiredPlugins).
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	tracing       string
	// Closed once the engine that started this host is gone (see watchEngine).
	engineGone <-chan struct{}
}

const (
	// How often watchEngine looks at the parent process and the engine's gRPC address.
	engineWatchInterval = time.Second
	// Consecutive health checks answered Unavailable before the engine counts as gone. A live
	// engine answers every check, so more than one only guards against a single lost connection.
	engineUnavailableChecks = 3
	// Between SIGTERM and SIGKILL of a program whose engine is gone.
	programStopGrace = 3 * time.Second
)

// watchEngine returns a channel that is closed once the engine is gone: when this process's parent
// changes (the CLI that started us died; we are re-parented) or when the engine's gRPC health check
// answers Unavailable engineUnavailableChecks times in a row (an engine that is not our parent).
func watchEngine(engineAddress string, interval time.Duration) (<-chan struct{}, error) {
	conn, err := grpc.NewClient(engineAddress,
		grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, err
	}
	health := healthpb.NewHealthClient(conn)
	parent := os.Getppid()
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		defer conn.Close()
		unavailable := 0
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for range ticker.C {
			if os.Getppid() != parent {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*interval)
			_, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
			cancel()
			// Only Unavailable means nobody listens; a slow answer or Unimplemented is a live engine.
			if status.Code(err) == codes.Unavailable {
				unavailable++
				if unavailable >= engineUnavailableChecks {
					return
				}
			} else {
				unavailable = 0
			}
		}
	}()
	return gone, nil
}

// ---------------------------------------------------------------------------------------------------------
// Handshake / GetPluginInfo / About / RuntimeOptionsPrompts

func (host *nodeLanguageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	// Used when the engine attaches to an already running host (PULUMI_DEBUG_LANGUAGES); a spawned host
	// already got the engine address on its command line.
	if req.GetEngineAddress() != "" {
		host.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (host *nodeLanguageHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (host *nodeLanguageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("failed to execute '%s --version': %w", nodeBin, err)
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBin,
		Version:    strings.TrimSpace(string(out)),
		Metadata:   map[string]string{"languageHost": "pulumi-ecs-spec minimal pulumi-language-nodejs"},
	}, nil
}

func (host *nodeLanguageHost) RuntimeOptionsPrompts(
	ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	// Same prompt as the real host (only used by `pulumi new`).
	var prompts []*pulumirpc.RuntimeOptionPrompt
	if _, has := req.GetInfo().GetOptions().AsMap()["packagemanager"]; !has {
		prompts = append(prompts, &pulumirpc.RuntimeOptionPrompt{
			Key:         "packagemanager",
			Description: "The package manager to use for installing dependencies",
			PromptType:  pulumirpc.RuntimeOptionPrompt_STRING,
			Choices:     plugin.MakeExecutablePromptChoices("npm", "pnpm", "yarn"),
			Default: &pulumirpc.RuntimeOptionPrompt_RuntimeOptionValue{
				PromptType:  pulumirpc.RuntimeOptionPrompt_STRING,
				StringValue: "npm",
			},
		})
	}
	return &pulumirpc.RuntimeOptionsResponse{Prompts: prompts}, nil
}

// ---------------------------------------------------------------------------------------------------------
// Options (runtime.options in Pulumi.yaml)

type nodeOptions struct {
	typescript     bool
	tsconfigpath   string
	nodeargs       []string
	packagemanager npm.PackageManagerType
}

func parseOptions(info *pulumirpc.ProgramInfo) (nodeOptions, error) {
	// typescript defaults to true, as in the real host: @pulumi/pulumi/cmd/run then registers ts-node
	// (the project's, else the copy vendored in @pulumi/pulumi) so .ts entry points also run. Plain .js
	// programs are unaffected; `typescript: false` skips loading ts-node.
	opts := nodeOptions{typescript: true, packagemanager: npm.AutoPackageManager}
	raw := info.GetOptions().AsMap()
	if v, ok := raw["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, errors.New("typescript option must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := raw["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("tsconfig option must be a string")
		}
		opts.tsconfigpath = s
	}
	if v, ok := raw["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("nodeargs option must be a string")
		}
		opts.nodeargs = strings.Fields(s) // no shell quoting support
	}
	if v, ok := raw["packagemanager"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("packagemanager option must be a string")
		}
		switch pm := npm.PackageManagerType(s); pm {
		case npm.AutoPackageManager, npm.NpmPackageManager, npm.YarnPackageManager,
			npm.PnpmPackageManager, npm.BunPackageManager:
			opts.packagemanager = pm
		default:
			return opts, fmt.Errorf("packagemanager option must be one of auto, npm, yarn, pnpm or bun, got %q", s)
		}
	}
	return opts, nil
}

// programInfo returns the ProgramInfo of a request, building one from the deprecated fields for old engines.
func programInfo(info *pulumirpc.ProgramInfo, pwd, program string) *pulumirpc.ProgramInfo {
	if info != nil && info.GetProgramDirectory() != "" {
		return info
	}
	if pwd == "" {
		pwd, _ = os.Getwd()
	}
	if program == "" {
		program = "."
	}
	return &pulumirpc.ProgramInfo{RootDirectory: pwd, ProgramDirectory: pwd, EntryPoint: program}
}

// ---------------------------------------------------------------------------------------------------------
// Run

func (host *nodeLanguageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := programInfo(req.GetInfo(), req.GetPwd(), req.GetProgram()) //nolint:staticcheck // fallback only

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}

	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = defaultRunPath
	}
	runPath, err = locateModule(ctx, runPath, info.GetProgramDirectory(), nodeBin)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	opts, err := parseOptions(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	configJSON, err := constructConfig(req)
	if err != nil {
		return &pulumirpc.RunResponse{Error: "failed to serialize configuration: " + err.Error()}, nil
	}
	secretKeysJSON, err := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	if err != nil {
		return &pulumirpc.RunResponse{Error: "failed to serialize configuration secret keys: " + err.Error()}, nil
	}

	env := os.Environ()
	env = append(env, pulumiConfigVar+"="+configJSON, pulumiConfigSecretKeysVar+"="+string(secretKeysJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfigpath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfigpath)
	}

	args := append([]string{}, opts.nodeargs...)
	if req.GetAttachDebugger() {
		args = append(args, "--inspect-brk", "--inspect-publish-uid=http")
	}
	args = append(args, host.constructArguments(req, info, runPath)...)
	logging.V(5).Infof("Language host launching process: %s %s", nodeBin, strings.Join(args, " "))

	cmd := exec.Command(nodeBin, args...) //nolint:gosec // running the user's program is the point
	cmd.Dir = info.GetProgramDirectory()
	cmd.Env = env
	// Node may switch its stdio to non-blocking mode; wrapping os.Stdout/os.Stderr in a plain io.Writer makes
	// os/exec copy through a pipe instead of handing our file descriptors to the child (same as the real host).
	// Everything the program prints ends up on our stdout/stderr, which the engine shows as diagnostics.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}

	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	if req.GetAttachDebugger() {
		if err := host.startDebugging(ctx, cmd.Process.Pid); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return &pulumirpc.RunResponse{Error: "unable to start debugging: " + err.Error()}, nil
		}
	}
	exited := make(chan struct{})
	go func() {
		// A program whose engine is gone can register nothing: stop it rather than orphan it.
		select {
		case <-exited:
		case <-host.engineGone:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(programStopGrace):
				_ = cmd.Process.Kill()
			}
		}
	}()
	err = cmd.Wait()
	close(exited)
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			switch code := exitErr.ExitCode(); code {
			case exitCodeErrorAlreadyReported:
				// The runner already logged the error through the engine: just stop.
				return &pulumirpc.RunResponse{Bail: true}, nil
			case 0:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", exitErr)}, nil
			default:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
			}
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// startDebugging tells the engine (`pulumi up --attach-debugger`) which process to attach to.
func (host *nodeLanguageHost) startDebugging(ctx context.Context, pid int) error {
	if host.engineAddress == "" {
		return errors.New("no engine address")
	}
	conn, err := grpc.NewClient(host.engineAddress,
		grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return err
	}
	defer conn.Close()
	debugConfig, err := structpb.NewStruct(map[string]any{
		"name":             "Pulumi: Program (Node.js)",
		"type":             "node",
		"request":          "attach",
		"processId":        pid,
		"continueOnAttach": true,
		"skipFiles":        []any{"<node_internals>/**"},
	})
	if err != nil {
		return err
	}
	_, err = pulumirpc.NewEngineClient(conn).StartDebugging(ctx, &pulumirpc.StartDebuggingRequest{
		Config:  debugConfig,
		Message: fmt.Sprintf("on process id %d", pid),
	})
	return err
}

// constructArguments builds `<runPath> --flags... <entry point> [args...]` the way the real host does.
func (host *nodeLanguageHost) constructArguments(
	req *pulumirpc.RunRequest, info *pulumirpc.ProgramInfo, runPath string,
) []string {
	args := []string{runPath}
	maybeAppendArg := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	maybeAppendArg("monitor", req.GetMonitorAddress())
	maybeAppendArg("engine", host.engineAddress)
	maybeAppendArg("organization", req.GetOrganization())
	maybeAppendArg("project", req.GetProject())
	maybeAppendArg("stack", req.GetStack())
	maybeAppendArg("pwd", info.GetProgramDirectory())
	maybeAppendArg("root-directory", info.GetRootDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	maybeAppendArg("query-mode", strconv.FormatBool(req.GetQueryMode())) //nolint:staticcheck // as the real host
	maybeAppendArg("parallel", strconv.Itoa(int(req.GetParallel())))
	maybeAppendArg("tracing", host.tracing)

	// The engine always sends an entry point: "." (use package.json `main`/`exports`, else index.js) or the
	// file named by `main` in Pulumi.yaml, relative to the program directory.
	entryPoint := info.GetEntryPoint()
	if entryPoint == "" {
		entryPoint = "."
	}
	args = append(args, entryPoint)
	return append(args, req.GetArgs()...)
}

// constructConfig serializes the stack configuration into the JSON object @pulumi/pulumi expects in
// PULUMI_CONFIG. Keys are given in the legacy `<namespace>:config:<name>` form, like the real host does;
// the SDK accepts both forms. Values are strings (objects/arrays are JSON text; secrets are plaintext,
// marked by PULUMI_CONFIG_SECRET_KEYS).
func constructConfig(req *pulumirpc.RunRequest) (string, error) {
	transformed := make(map[string]string, len(req.GetConfig()))
	for k, v := range req.GetConfig() {
		pk, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		transformed[pk.Namespace()+":config:"+pk.Name()] = v
	}
	b, err := json.Marshal(transformed)
	return string(b), err
}

// locateModule resolves a module name with Node's own resolution, starting from the program directory.
func locateModule(ctx context.Context, mod, programDir, nodeBin string) (string, error) {
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)); } catch (error) { `+
		`if (error.code === 'MODULE_NOT_FOUND') { console.error("It looks like the Pulumi SDK has not been installed. `+
		`Have you run npm install (the program needs @pulumi/pulumi in its node_modules)?"); } `+
		`else { console.error(error.message); } process.exit(1); }`, mod)
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script)
	cmd.Dir = programDir
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", errors.New(strings.TrimSpace(string(exitErr.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// ---------------------------------------------------------------------------------------------------------
// GetRequiredPackages: resource plugins declared by packages in node_modules ("pulumi": {"resource": true})

type packageJSON struct {
	Name    string                  `json:"name"`
	Version string                  `json:"version"`
	Pulumi  plugin.PulumiPluginJSON `json:"pulumi"`
}

func (host *nodeLanguageHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	// Deprecated; the engine calls GetRequiredPackages first and only falls back to this on Unimplemented.
	return nil, status.Errorf(codes.Unimplemented, "method GetRequiredPlugins not implemented")
}

func (host *nodeLanguageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	info := programInfo(req.GetInfo(), "", "")
	pulumiVersions := map[string]semver.Version{}
	packages, err := getPackagesFromDir(info.GetProgramDirectory(), pulumiVersions, false, map[string]struct{}{})
	if err != nil {
		// Same as the real host: discovery problems are logged, not fatal.
		logging.V(3).Infof("one or more errors while discovering plugins: %s", err)
	}
	warnOnIncompatiblePulumiVersions(pulumiVersions)
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

func warnOnIncompatiblePulumiVersions(versions map[string]semver.Version) {
	var firstPath string
	var firstVersion semver.Version
	for path, v := range versions {
		if firstPath == "" {
			firstPath, firstVersion = path, v
			continue
		}
		if v.Major != firstVersion.Major {
			fmt.Fprintf(os.Stderr, "Found incompatible versions of @pulumi/pulumi. Differing major versions are "+
				"not supported.\n  Version %s referenced at %s\n  Version %s referenced at %s\n",
				firstVersion, firstPath, v, path)
			return
		}
	}
}

// getPackagesFromDir walks dir (following symlinks once) and reports every package.json inside a
// node_modules folder that declares a resource plugin.
func getPackagesFromDir(
	dir string, pulumiVersions map[string]semver.Version, inNodeModules bool, visited map[string]struct{},
) ([]*pulumirpc.PackageDependency, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	if _, seen := visited[dir]; seen {
		return nil, nil
	}
	visited[dir] = struct{}{}

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading plugin dir %s: %w", dir, err)
	}
	var packages []*pulumirpc.PackageDependency
	var errs []error
	for _, entry := range entries {
		name := entry.Name()
		curr := filepath.Join(dir, name)
		isDir := entry.IsDir()
		if entry.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(curr)
			if err != nil {
				continue // dangling link
			}
			isDir = fi.IsDir()
		}
		switch {
		case isDir:
			if name == ".git" {
				continue
			}
			// Plugins of a nested policy pack are not dependencies of the program.
			if pack, err := workspace.DetectPolicyPackPathAt(curr); err == nil && pack != "" {
				continue
			}
			more, err := getPackagesFromDir(curr, pulumiVersions, inNodeModules || filepath.Base(dir) == "node_modules",
				visited)
			if err != nil {
				errs = append(errs, err)
			}
			packages = append(packages, more...)
		case inNodeModules && name == "package.json":
			b, err := os.ReadFile(curr)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			var pkg packageJSON
			if err := json.Unmarshal(b, &pkg); err != nil {
				errs = append(errs, fmt.Errorf("unmarshaling package.json %s: %w", curr, err))
				continue
			}
			if pkg.Name == "@pulumi/pulumi" {
				if v, err := semver.Parse(pkg.Version); err == nil {
					pulumiVersions[curr] = v
				}
			}
			dep, err := packageDependency(pkg)
			if err != nil {
				errs = append(errs, fmt.Errorf("package.json %s: %w", curr, err))
			} else if dep != nil {
				packages = append(packages, dep)
			}
		}
	}
	return packages, errors.Join(errs...)
}

func packageDependency(pkg packageJSON) (*pulumirpc.PackageDependency, error) {
	if !pkg.Pulumi.Resource {
		return nil, nil
	}
	name := pkg.Pulumi.Name
	if name == "" {
		if !strings.HasPrefix(pkg.Name, "@pulumi/") {
			return nil, fmt.Errorf("missing property \"name\" for the third-party plugin '%v' "+
				"inside package.json under the \"pulumi\" section", pkg.Name)
		}
		name = strings.TrimPrefix(pkg.Name, "@pulumi/")
	}
	ver := pkg.Pulumi.Version
	if ver == "" {
		ver = pkg.Version
	}
	if ver == "" {
		return nil, errors.New("missing expected \"version\" property")
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	dep := &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: ver, Server: pkg.Pulumi.Server}
	if p := pkg.Pulumi.Parameterization; p != nil {
		dep.Parameterization = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
	}
	return dep, nil
}

// ---------------------------------------------------------------------------------------------------------
// InstallDependencies (`pulumi install`) and GetProgramDependencies (`pulumi about`)

func (host *nodeLanguageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	info := programInfo(req.GetInfo(), req.GetDirectory(), "") //nolint:staticcheck // fallback only
	opts, err := parseOptions(info)
	if err != nil {
		return fmt.Errorf("failed to parse options: %w", err)
	}
	root := info.GetProgramDirectory()
	if ws, err := npm.FindWorkspaceRoot(root); err == nil {
		fmt.Fprintf(stdout, "Detected workspace root at %s\n", ws)
		root = ws
	} else if !errors.Is(err, npm.ErrNotInWorkspace) {
		return fmt.Errorf("failure while trying to find workspace root: %w", err)
	}
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	if _, err := npm.Install(server.Context(), opts.packagemanager, root, false /*production*/, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

func (host *nodeLanguageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	info := programInfo(req.GetInfo(), req.GetPwd(), req.GetProgram()) //nolint:staticcheck // fallback only
	opts, err := parseOptions(info)
	if err != nil {
		return nil, err
	}
	pm, err := npm.ResolvePackageManager(opts.packagemanager, info.GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	deps, err := pm.ListPackages(ctx, info.GetProgramDirectory(), req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	result := make([]*pulumirpc.DependencyInfo, 0, len(deps))
	for _, d := range deps {
		result = append(result, &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: result}, nil
}
