package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"text/tabwriter"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"golang.org/x/term"
)

func userVerbs() []nounVerb {
	return []nounVerb{
		{"add", "create an account of the node's web console (the password from a prompt or --password-stdin)", runUserAdd},
		{"list", "list the console's accounts", runUserList},
		{"disable", "stop an account from signing in (its sessions end at their next request)", runUserDisable},
	}
}

// runUser manages the accounts of the node's web console (console.listen
// in node.json). Its verbs work whether the node runs or not.
func runUser(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "user", userVerbs(), args)
}

// oneName returns the single positional argument, the account's name.
func oneName(fs *flag.FlagSet, usage string) (string, error) {
	if fs.NArg() != 1 {
		return "", usageErrorf(fs.Name(), "name the account: %s", usage)
	}
	return fs.Arg(0), nil
}

// accounts runs fn against the running node's API or, when the node is
// not running, against the node opened here.
func (f *clientFlags) accounts(ctx context.Context, e *env, cmd string, fn func(c accountsClient) error) error {
	c, err := f.client(e, cmd)
	if err != nil {
		return err
	}
	err = fn(c)
	var u *api.UnreachableError
	if !errors.As(err, &u) {
		return f.nodeError(err)
	}
	src := &passphraseSource{e: e}
	n, err := agency.Open(ctx, f.dir, agency.Options{Passphrase: func() ([]byte, error) { return src.get(false) }, Now: e.now})
	if err != nil {
		return err
	}
	defer n.Close()
	return fn(&offlineAccounts{n: n, actor: processActor(e)})
}

// accountsClient is what the user commands need of a node: its API
// client, or the node itself when it is not running.
type accountsClient interface {
	AddAccount(ctx context.Context, a agency.NewAccount) (*agency.Account, error)
	Accounts(ctx context.Context) ([]*agency.Account, error)
	DisableAccount(ctx context.Context, name string) (*agency.Account, error)
}

var (
	_ accountsClient = (*api.Client)(nil)
	_ accountsClient = (*offlineAccounts)(nil)
)

// offlineAccounts is a stopped node opened by the command.
type offlineAccounts struct {
	n     *agency.Node
	actor agency.Actor
}

// processActor is who acts when the command opens the node itself: the
// operating-system user running it, labelled with $USER.
func processActor(e *env) agency.Actor {
	a := agency.Actor{Via: agency.ViaProcess, Label: localUser(e)}
	if cur, err := user.Current(); err == nil && cur.Username != "" {
		a.Name = cur.Username
	} else {
		a.Name = "uid " + strconv.Itoa(os.Getuid())
	}
	return a
}

func (o *offlineAccounts) AddAccount(ctx context.Context, a agency.NewAccount) (*agency.Account, error) {
	return o.n.AddAccount(ctx, o.actor, a)
}

func (o *offlineAccounts) Accounts(ctx context.Context) ([]*agency.Account, error) {
	return o.n.Accounts(ctx)
}

func (o *offlineAccounts) DisableAccount(ctx context.Context, name string) (*agency.Account, error) {
	return o.n.DisableAccount(ctx, o.actor, name)
}

func runUserAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user add", "NAME")
	var cf clientFlags
	cf.register(fs)
	role := fs.String("role", "", "prosecutor, clerk or admin")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (else a prompt; never from the command line)")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	name, err := oneName(fs, "casenode user add NAME --dir DIR --role ROLE")
	if err != nil {
		return err
	}
	if *role == "" {
		return usageErrorf("user add", "--role is required: prosecutor, clerk or admin")
	}
	pw, err := readPassword(e, *stdin)
	if err != nil {
		return err
	}
	return cf.accounts(ctx, e, "user", func(c accountsClient) error {
		a, err := c.AddAccount(ctx, agency.NewAccount{Name: name, Role: agency.Role(*role), Password: string(pw)})
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(e, a)
		}
		fmt.Fprintf(e.stdout, "account %s (%s) created\n", a.Name, a.Role)
		return nil
	})
}

func runUserList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user list", "")
	var cf clientFlags
	cf.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	return cf.accounts(ctx, e, "user", func(c accountsClient) error {
		as, err := c.Accounts(ctx)
		if err != nil {
			return err
		}
		if cf.json {
			if as == nil {
				as = []*agency.Account{}
			}
			return printJSON(e, as)
		}
		if len(as) == 0 {
			fmt.Fprintln(e.stdout, "no accounts: create one with 'casenode user add NAME --dir DIR --role prosecutor'")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tLANGUAGE\tCREATED\tSTATE")
		for _, a := range as {
			state := "active"
			if a.Disabled != nil {
				state = "disabled " + a.Disabled.UTC().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Name, a.Role, a.Language, a.Created.UTC().Format("2006-01-02 15:04"), state)
		}
		return tw.Flush()
	})
}

func runUserDisable(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user disable", "NAME")
	var cf clientFlags
	cf.register(fs)
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	name, err := oneName(fs, "casenode user disable NAME --dir DIR")
	if err != nil {
		return err
	}
	return cf.accounts(ctx, e, "user", func(c accountsClient) error {
		a, err := c.DisableAccount(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "account %s disabled: it can no longer sign in\n", a.Name)
		return nil
	})
}

// readPassword reads a new account's password: the first line of
// standard input, or twice at the terminal.
func readPassword(e *env, fromStdin bool) ([]byte, error) {
	if fromStdin {
		line, err := bufio.NewReader(e.stdin).ReadBytes('\n')
		if err != nil && len(line) == 0 {
			return nil, fmt.Errorf("read the password from standard input: %w", err)
		}
		p := bytes.TrimRight(line, "\r\n")
		if len(p) == 0 {
			return nil, errors.New("empty password on standard input")
		}
		return p, nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		return nil, withHint(errors.New("a password is needed and there is no terminal to ask for it"),
			"pass --password-stdin and write the password on standard input")
	}
	defer tty.Close()
	fmt.Fprint(tty, "Password for the console account: ")
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, fmt.Errorf("read the password: %w", err)
	}
	fmt.Fprint(tty, "Again: ")
	again, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, fmt.Errorf("read the password: %w", err)
	}
	if !bytes.Equal(p, again) {
		return nil, errors.New("the passwords do not match")
	}
	return p, nil
}
