package sops

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// metadata is what the "sops" entry of a document says about its keys and
// about which values are encrypted.
type metadata struct {
	groups    [][]masterKey
	threshold int
	// modified is lastmodified as SOPS formats it again for the MAC's
	// additional data: parsed as RFC 3339, then formatted so.
	modified string
	mac      string
	// The rules for which values are encrypted: at most one is set, and the
	// unencrypted suffix "_unencrypted" when none is.
	unencryptedSuffix, encryptedSuffix           string
	unencryptedRegex, encryptedRegex             *regexp.Regexp
	unencryptedCommentRegex, encryptedCommentRgx *regexp.Regexp
	macOnlyEncrypted                             bool
}

// masterKey is one wrapping of the data key (or of a Shamir share of it).
type masterKey struct {
	kind string // the metadata's name for it: age, pgp, kms, ...
	id   string // recipient, fingerprint, ARN...: for messages
	enc  string
}

// keyKinds are the kinds of master key SOPS writes, with the field that
// names each key.
var keyKinds = []struct{ name, id string }{
	{"kms", "arn"},
	{"gcp_kms", "resource_id"},
	{"hckms", "key_id"},
	{"azure_kv", "vault_url"},
	{"hc_vault", "vault_address"},
	{"pgp", "fp"},
	{"age", "recipient"},
}

// defaultUnencryptedSuffix is the rule of a document that states none.
const defaultUnencryptedSuffix = "_unencrypted"

// parseMetadata reads the "sops" mapping of a document.
func parseMetadata(m *node) (*metadata, error) {
	if m == nil || m.kind != kindMap {
		return nil, malformed("the sops metadata is not a mapping")
	}
	md := &metadata{}
	modified := field(m, "lastmodified")
	t, err := time.Parse(time.RFC3339, modified)
	if err != nil {
		return nil, malformed("sops metadata: lastmodified %q is not an RFC 3339 time", modified)
	}
	md.modified = t.Format(time.RFC3339)
	md.mac = field(m, "mac")
	if s := field(m, "shamir_threshold"); s != "" {
		if md.threshold, err = strconv.Atoi(s); err != nil {
			return nil, malformed("sops metadata: shamir_threshold %q is not a number", s)
		}
	}
	if s := field(m, "mac_only_encrypted"); s != "" {
		if md.macOnlyEncrypted, err = strconv.ParseBool(s); err != nil {
			return nil, malformed("sops metadata: mac_only_encrypted %q is not a boolean", s)
		}
	}
	rules := 0
	for _, r := range []struct {
		name string
		str  *string
		re   **regexp.Regexp
	}{
		{"unencrypted_suffix", &md.unencryptedSuffix, nil},
		{"encrypted_suffix", &md.encryptedSuffix, nil},
		{"unencrypted_regex", nil, &md.unencryptedRegex},
		{"encrypted_regex", nil, &md.encryptedRegex},
		{"unencrypted_comment_regex", nil, &md.unencryptedCommentRegex},
		{"encrypted_comment_regex", nil, &md.encryptedCommentRgx},
	} {
		s := field(m, r.name)
		if s == "" {
			continue
		}
		rules++
		if r.str != nil {
			*r.str = s
			continue
		}
		if *r.re, err = regexp.Compile(s); err != nil {
			return nil, malformed("sops metadata: %s: %v", r.name, err)
		}
	}
	switch rules {
	case 0:
		md.unencryptedSuffix = defaultUnencryptedSuffix
	case 1:
	default:
		return nil, malformed("sops metadata: more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex and unencrypted_comment_regex")
	}
	if group := keyGroup(m); len(group) > 0 {
		md.groups = [][]masterKey{group}
	} else if groups := lookup(m, "key_groups"); groups != nil && groups.kind == kindSeq {
		for _, g := range groups.elems {
			if g.kind == kindMap {
				md.groups = append(md.groups, keyGroup(g))
			}
		}
	}
	if len(md.groups) == 0 {
		return nil, malformed("sops metadata: no keys found in the file")
	}
	return md, nil
}

// keyGroup reads the master keys of a key group, or of the top level of
// the metadata, in the order SOPS tries them.
func keyGroup(m *node) []masterKey {
	var group []masterKey
	for _, k := range keyKinds {
		list := lookup(m, k.name)
		if list == nil || list.kind != kindSeq {
			continue
		}
		for _, e := range list.elems {
			if e.kind == kindMap {
				group = append(group, masterKey{kind: k.name, id: field(e, k.id), enc: field(e, "enc")})
			}
		}
	}
	return group
}

// lookup returns the value of key in mapping m, or nil.
func lookup(m *node, key string) *node {
	for _, e := range m.entries {
		if !e.isComment() && e.key == key {
			return e.val
		}
	}
	return nil
}

// field returns the scalar value of key in mapping m, weakly typed as
// SOPS reads its metadata: booleans as true or false.
func field(m *node, key string) string {
	v := lookup(m, key)
	if v == nil || v.kind != kindScalar {
		return ""
	}
	if v.typ == typeBool {
		return strings.ToLower(string(v.text))
	}
	return string(v.text)
}

// kinds lists the kinds of the master keys of a document, for messages.
func (md *metadata) kinds() []string {
	var kinds []string
	for _, g := range md.groups {
		for _, k := range g {
			if !slices.Contains(kinds, k.kind) {
				kinds = append(kinds, k.kind)
			}
		}
	}
	return kinds
}
