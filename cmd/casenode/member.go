package main

import "context"

func memberVerbs() []nounVerb {
	return []nounVerb{
		{"add", "admit an agency from its member card and write its hub credentials", runMemberAdd},
		{"list", "list the roster's members", runMemberList},
		{"revoke", "revoke an agency, or one of its keys (--key): it is disconnected, and its later messages are refused", runMemberRevoke},
		{"rotate", "install an agency's new member card; its previous key stays trusted for --overlap", runMemberRotate},
		{"cert", "issue an agency a client certificate of the network CA (mutual TLS)", runMemberCert},
	}
}

func runMember(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "member", memberVerbs(), args)
}
