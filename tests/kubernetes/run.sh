#!/bin/sh
# Runs test_manifests.py with a python3 that has PyYAML (Debian's
# python3-yaml is in /usr/bin); exit 77 when there is none.
for py in /usr/bin/python3 python3; do
        if "$py" -c 'import yaml' 2>/dev/null; then
                exec "$py" "$(dirname "$0")/test_manifests.py" "$@"
        fi
done
echo "SKIP: no python3 with PyYAML (apt-get install python3-yaml)"
exit 77
