package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ebios/ebios/server/auth"
	"github.com/ebios/ebios/server/config"
	"github.com/ebios/ebios/server/serve"
	"golang.org/x/term"
)

const userHelp = `Manage users (the server must be stopped: it holds the users database).

  ebios user add NAME --role admin|operator|auditor|guest   password from --password-file, standard input, or a prompt
  ebios user list [--json]
  ebios user set-role NAME ROLE
  ebios user disable NAME          ends the user's sessions
  ebios user enable NAME
  ebios user reset-password NAME   ends the user's sessions
  ebios user delete NAME           ends the user's sessions; the ledger keeps what it recorded

Common flags: --data-dir DIR (default ./data), --users-db FILE, --config FILE.
There are no default users or passwords: the first admin is made here or with
the one-time setup token the server prints at first start.
`

func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	subs := map[string]int{"add": 1, "list": 0, "set-role": 2, "disable": 1, "enable": 1, "reset-password": 1, "delete": 1}
	var nargs int
	var ok bool
	if len(args) > 0 {
		nargs, ok = subs[args[0]]
	}
	if !ok {
		return groupUsage(stderr, args, "Usage: ebios user <command> ...\n\n"+userHelp)
	}
	sub := args[0]
	// users.db holds password hashes: what BuntDB makes when it rewrites it
	// (a shrink) must be private too.
	defer serve.RestrictUmask()()
	fs := newFlags("user "+sub, "[flags]", userHelp, stderr)
	dataDir := fs.String("data-dir", "", "data directory (default ./data)")
	usersDB := fs.String("users-db", "", "users database (default DATA/users.db)")
	store := fs.String("store", "", "the PostgreSQL database of the servers (postgres://...; default: config store, EBIOS_STORE or DATABASE_URL), instead of users.db")
	cfgFile := fs.String("config", "", "config file")
	role := fs.String("role", "", "role of the new user (add)")
	pwFile := fs.String("password-file", "", "read the password from this file (add, reset-password)")
	asJSON := fs.Bool("json", false, "print JSON (list)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, nargs, fmt.Sprintf("%d argument(s)", nargs)); err != nil {
		return err
	}
	var cargs []string
	for k, v := range map[string]string{"--data-dir": *dataDir, "--users-db": *usersDB, "--config": *cfgFile, "--store": *store} {
		if v != "" {
			cargs = append(cargs, k, v)
		}
	}
	cfg, err := config.Load(cargs, os.Getenv, os.ReadFile)
	if err != nil {
		fmt.Fprintln(stderr, "ebios user:", err)
		return exitError{exitUsage}
	}
	users, unlock, err := openUsers(ctx, cfg)
	if err != nil {
		return reportErr(stdout, stderr, false, "", err)
	}
	defer unlock()
	defer users.Close()
	secret, err := auth.LoadOrCreateSecret(cfg.Auth.SecretFile)
	if err != nil {
		return reportErr(stdout, stderr, false, "", err)
	}
	as, err := auth.New(users, auth.Options{Secret: secret})
	if err != nil {
		return reportErr(stdout, stderr, false, "", err)
	}
	var u *auth.User
	switch sub {
	case "list":
		us, err := as.ListUsers(ctx)
		if err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
		if *asJSON {
			return writeJSON(stdout, map[string]any{"users": us})
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tDISABLED\tCREATED\tLAST LOGIN")
		for _, u := range us {
			last := "-"
			if !u.LastLogin.IsZero() {
				last = u.LastLogin.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", u.Name, u.Role, u.Disabled, u.CreatedAt.UTC().Format(time.RFC3339), last)
		}
		return tw.Flush()
	case "add", "reset-password":
		r := auth.RoleGuest
		if sub == "add" {
			if *role == "" {
				fmt.Fprintln(stderr, "ebios user add: --role is required (admin, operator, auditor or guest)")
				return exitError{exitUsage}
			}
			if r, err = auth.ParseRole(*role); err != nil {
				return reportErr(stdout, stderr, false, "", err)
			}
		}
		pw, err := readPassword(*pwFile, stdin, stderr, true)
		if err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
		if sub == "add" {
			u, err = as.AddUser(ctx, pos[0], pw, r)
		} else {
			u, err = as.ResetPassword(ctx, pos[0], pw)
		}
		if err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
	case "set-role":
		r, err := auth.ParseRole(pos[1])
		if err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
		if u, err = as.SetRole(ctx, pos[0], r); err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
	case "disable":
		if u, err = as.Disable(ctx, pos[0]); err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
	case "enable":
		if u, err = as.Enable(ctx, pos[0]); err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
	case "delete":
		if u, err = as.DeleteUser(ctx, pos[0]); err != nil {
			return reportErr(stdout, stderr, false, "", err)
		}
		fmt.Fprintf(stdout, "user %s (role %s) deleted\n", u.Name, u.Role)
		return nil
	}
	fmt.Fprintf(stdout, "user %s: role %s, disabled %v\n", u.Name, u.Role, u.Disabled)
	return nil
}

// readPassword reads a password from a file, from a terminal (without echo;
// twice when confirm, for a new password), or from the first line of
// standard input.
func readPassword(file string, stdin io.Reader, stderr io.Writer, confirm bool) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file) // #nosec G304 G703 -- the operator's own --password-file flag
		if err != nil {
			return "", fmt.Errorf("reading the password file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if !confirm {
			return string(a), nil
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", fmt.Errorf("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
