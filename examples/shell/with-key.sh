#!/bin/sh
# Run the rest of this script with the key in a secret descriptor: the script
# re-executes itself under secretcat once, then finds SECRETCAT_FD set.
# Run it by its path, so that $0 names it as an executable:
#   ./with-key.sh IDENTITY KEYFILE.age
if [ -z "$SECRETCAT_FD" ]; then
	if [ $# -ne 2 ]; then
		echo "usage: $0 IDENTITY KEYFILE.age" >&2
		exit 2
	fi
	exec secretcat -i "$1" "$2" -- "$0" "$@"
fi

echo "the key is in descriptor $SECRETCAT_FD ($SECRETCAT_FDNAMES)"
# A tool that maps the descriptor itself gets its number:
#   signer --key-fd "$SECRETCAT_FD"
# A legacy tool that only reads a pipe gets the bytes (they leave secret
# memory):
secretcat cat | sha256sum
