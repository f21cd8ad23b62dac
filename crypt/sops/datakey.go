package sops

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/internal/wipe"
)

// dataKeySize is the size of the AES-256 data key.
const dataKeySize = 32

// dataKey unwraps the data key with the age identities: from the age
// master key of the single key group, or from Shamir shares of enough key
// groups. The caller clears it.
func (md *metadata) dataKey(ids []age.Identity) ([]byte, error) {
	if !slices.Contains(md.kinds(), "age") {
		return nil, md.unwrapError(nil)
	}
	if len(ids) == 0 {
		return nil, noKey("no identity was given (the data key is wrapped for %s)", strings.Join(md.recipients(), ", "))
	}
	var shares [][]byte
	defer func() {
		for _, s := range shares {
			clear(s)
		}
	}()
	var failures []string
	for i, group := range md.groups {
		share, err := groupShare(group, ids)
		if err != nil {
			if len(md.groups) > 1 {
				err = fmt.Errorf("key group %d: %w", i+1, err)
			}
			if fail.KindOf(err) == fail.Malformed {
				return nil, err
			}
			failures = append(failures, err.Error())
			continue
		}
		shares = append(shares, share)
	}
	if len(md.groups) == 1 {
		if len(shares) == 0 {
			return nil, md.unwrapError(failures)
		}
		if len(shares[0]) != dataKeySize {
			return nil, undecryptable("the data key unwrapped with age is %d bytes, not %d", len(shares[0]), dataKeySize)
		}
		key := shares[0]
		shares = nil
		return key, nil
	}
	threshold := md.threshold
	if len(shares) < max(threshold, 2) {
		return nil, md.unwrapError(append(failures, fmt.Sprintf("%d of %d key groups opened, the Shamir threshold is %d", len(shares), len(md.groups), threshold)))
	}
	key, err := combineShares(shares)
	if err != nil {
		return nil, undecryptable("combining the Shamir shares of the data key: %v", err)
	}
	if len(key) != dataKeySize {
		clear(key)
		return nil, undecryptable("the data key combined from Shamir shares is %d bytes, not %d", len(key), dataKeySize)
	}
	return key, nil
}

// unwrapError explains why no data key could be had.
func (md *metadata) unwrapError(failures []string) error {
	kinds := md.kinds()
	msg := "no identity could unwrap the data key (the file's master keys are: " + strings.Join(kinds, ", ") + ")"
	if len(failures) > 0 {
		msg += ": " + strings.Join(failures, "; ")
	}
	if !slices.Contains(kinds, "age") {
		return undecryptable("%s; only age master keys can be used here, and this file has none: decrypt it with sops, or add an age recipient to it (sops updatekeys)", msg)
	}
	return undecryptable("%s", msg)
}

// recipients lists the age recipients of the document's master keys.
func (md *metadata) recipients() []string {
	var rs []string
	for _, g := range md.groups {
		for _, k := range g {
			if k.kind == "age" && !slices.Contains(rs, k.id) {
				rs = append(rs, k.id)
			}
		}
	}
	return rs
}

// groupShare unwraps what the age keys of a group wrap: the data key, or
// a Shamir share of it. dataKey has made sure that there are identities.
func groupShare(group []masterKey, ids []age.Identity) ([]byte, error) {
	var errs []string
	tried := false
	for _, k := range group {
		if k.kind != "age" {
			continue
		}
		tried = true
		share, err := unwrapAge(k.enc, ids)
		if err == nil {
			return share, nil
		}
		if fail.KindOf(err) == fail.Malformed {
			return nil, err
		}
		errs = append(errs, fmt.Sprintf("age recipient %s: %v", k.id, err))
	}
	if !tried {
		var kinds []string
		for _, k := range group {
			if !slices.Contains(kinds, k.kind) {
				kinds = append(kinds, k.kind)
			}
		}
		return nil, undecryptable("no age key (the group's keys are: %s)", strings.Join(kinds, ", "))
	}
	return nil, undecryptable("%s", strings.Join(errs, "; "))
}

// maxShare bounds what an age master key may wrap: a data key, or a share
// of one with its x coordinate.
const maxShare = 64

// unwrapAge decrypts an armored age file that wraps a data key or a share.
// The file key and payload key are cleared, and the payload is opened
// straight into the returned buffer, so that no copy of it is left.
func unwrapAge(enc string, ids []age.Identity) ([]byte, error) {
	raw, err := io.ReadAll(armor.NewReader(strings.NewReader(enc)))
	if err != nil {
		return nil, malformed("an age master key is not an armored age file: %v", err)
	}
	i := bytes.Index(raw, []byte("\n---"))
	if i < 0 {
		return nil, malformed("an age master key has no age header")
	}
	j := bytes.IndexByte(raw[i+1:], '\n')
	if j < 0 {
		return nil, malformed("an age master key has a truncated age header")
	}
	header, payload := raw[:i+1+j+1], raw[i+1+j+1:]
	fileKey, err := age.DecryptHeader(header, ids...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, undecryptable("no identity matched")
		}
		return nil, undecryptable("%v", err)
	}
	const nonceSize = 16
	if len(payload) < nonceSize+chacha20poly1305.Overhead || len(payload) > nonceSize+chacha20poly1305.Overhead+maxShare {
		clear(fileKey)
		return nil, undecryptable("an age master key's payload of %d bytes cannot hold a data key", len(payload))
	}
	streamKey, err := hkdf.Key(sha256.New, fileKey, payload[:nonceSize], "payload", chacha20poly1305.KeySize)
	clear(fileKey)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(streamKey)
	clear(streamKey)
	if err != nil {
		return nil, err
	}
	defer wipe.AEAD(aead)
	var nonce [chacha20poly1305.NonceSize]byte
	nonce[len(nonce)-1] = 1 // the last (and only) chunk
	sealed := payload[nonceSize:]
	share := make([]byte, 0, len(sealed)-chacha20poly1305.Overhead)
	share, err = aead.Open(share, nonce[:], sealed, nil)
	if err != nil {
		return nil, undecryptable("an age master key failed authentication: it is corrupted or tampered with")
	}
	return share, nil
}
