package main

import "context"

func memberVerbs() []nounVerb {
	return []nounVerb{
		{"add", "admit an agency from its member card and write its hub credentials", runMemberAdd},
		{"list", "list the roster's members", runMemberList},
		{"revoke", "revoke an agency: it can no longer connect, and its later messages are refused", runMemberRevoke},
	}
}

func runMember(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "member", memberVerbs(), args)
}
