#!/usr/bin/env bash
# Installs sshrelayd as a systemd service, or removes it. Idempotent: run it again after a rebuild.
#
#   deploy/systemd/install.sh [--prefix /usr/local] [--destdir DIR] [--bin DIR] [--web DIR]
#   deploy/systemd/install.sh --uninstall [--purge] [--prefix ...] [--destdir DIR]
#
#   --bin DIR   where sshrelayd and sshrelay are (default: build/native-release/native)
#   --web DIR   the web client to serve (default: build/wasm-release/site, made by `make site`)
#   --destdir   install under DIR instead of / (packaging, tests); systemctl is not called then
#
# Puts: PREFIX/bin/{sshrelayd,sshrelay} (0755), PREFIX/share/sshrelay/web (the page), their manual pages
# PREFIX/share/man/man8/sshrelayd.8 and man1/sshrelay.1 (from --help, when help2man is installed),
# /etc/systemd/system/sshrelayd.service (0644), and /etc/sshrelay/env (0600, seeded from
# sshrelayd.env.example only when absent: your settings are never overwritten). The unit runs the relay as
# a dynamic user, so no account is created. --uninstall removes all but /etc/sshrelay (--purge: that too).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
prefix=/usr/local
destdir=""
bin="$root/build/native-release/native"
web="$root/build/wasm-release/site"
uninstall=0
purge=0

die() { echo "install.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --destdir) [ $# -ge 2 ] || die "--destdir needs a directory"; destdir="$2"; shift 2 ;;
    --bin) [ $# -ge 2 ] || die "--bin needs a directory"; bin="$2"; shift 2 ;;
    --web) [ $# -ge 2 ] || die "--web needs a directory"; web="$2"; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done
case "$prefix" in /*) ;; *) die "--prefix must be an absolute path, not '$prefix'" ;; esac
[ "$purge" = 0 ] || [ "$uninstall" = 1 ] || die "--purge goes with --uninstall"

bindir="$destdir$prefix/bin"
webdir="$destdir$prefix/share/sshrelay/web"
mandir="$destdir$prefix/share/man"
unitdir="$destdir/etc/systemd/system"
confdir="$destdir/etc/sshrelay"

# systemctl only for a real install on a machine where systemd runs.
systemd_here() { [ -z "$destdir" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

if [ "$uninstall" = 1 ]; then
  if systemd_here; then systemctl disable --now sshrelayd.service 2>/dev/null || true; fi
  rm -f "$bindir/sshrelayd" "$bindir/sshrelay" "$unitdir/sshrelayd.service" "$mandir/man8/sshrelayd.8" "$mandir/man1/sshrelay.1"
  rm -rf "$webdir"
  rmdir "$destdir$prefix/share/sshrelay" 2>/dev/null || true
  if [ "$purge" = 1 ]; then rm -rf "$confdir"; fi
  if systemd_here; then systemctl daemon-reload; fi
  echo "install.sh: removed sshrelayd from ${destdir:-/}$( [ "$purge" = 1 ] || echo " (kept $confdir)")"
  exit 0
fi

for program in sshrelayd sshrelay; do
  [ -x "$bin/$program" ] || die "$bin/$program is missing: build it first (make native-release) or give --bin"
done
[ -f "$web/index.html" ] || die "$web holds no index.html: build the web client first (make site) or give --web"

install -d -m 0755 "$bindir" "$webdir" "$unitdir" "$confdir"
install -m 0755 "$bin/sshrelayd" "$bin/sshrelay" "$bindir/"
# The page: replaced whole, so files a new build dropped do not linger.
rm -rf "$webdir"
install -d -m 0755 "$webdir"
cp -R "$web/." "$webdir/"
find "$webdir" -type d -exec chmod 0755 {} + && find "$webdir" -type f -exec chmod 0644 {} +

# Manual pages made from the programs' own --help (help2man), so they never disagree with the binary.
if command -v help2man >/dev/null; then
  install -d -m 0755 "$mandir/man1" "$mandir/man8"
  help2man --no-info --no-discard-stderr --section 8 --name "SSH relay for browsers (corp-relay-v4, /relay, rendezvous)" \
    "$bin/sshrelayd" > "$mandir/man8/sshrelayd.8.tmp" || die "help2man could not run $bin/sshrelayd --help"
  help2man --no-info --no-discard-stderr --section 1 --name "SSH through an sshrelayd relay" \
    "$bin/sshrelay" > "$mandir/man1/sshrelay.1.tmp" || die "help2man could not run $bin/sshrelay --help"
  chmod 0644 "$mandir/man8/sshrelayd.8.tmp" "$mandir/man1/sshrelay.1.tmp"
  mv "$mandir/man8/sshrelayd.8.tmp" "$mandir/man8/sshrelayd.8"
  mv "$mandir/man1/sshrelay.1.tmp" "$mandir/man1/sshrelay.1"
else
  echo "install.sh: help2man is not installed: no manual pages (sshrelayd --help has the same text)"
fi

# The unit names the binary under the prefix it was installed to.
sed "s|/usr/local/bin/sshrelayd|$prefix/bin/sshrelayd|" "$here/sshrelayd.service" > "$unitdir/sshrelayd.service.tmp"
chmod 0644 "$unitdir/sshrelayd.service.tmp"
mv "$unitdir/sshrelayd.service.tmp" "$unitdir/sshrelayd.service"

if [ -e "$confdir/env" ]; then
  echo "install.sh: kept your $confdir/env"
else
  sed "s|/usr/local/share/sshrelay/web|$prefix/share/sshrelay/web|" "$here/sshrelayd.env.example" > "$confdir/env.tmp"
  chmod 0600 "$confdir/env.tmp"
  mv "$confdir/env.tmp" "$confdir/env"
  echo "install.sh: wrote $confdir/env from the example: set the identity settings before starting"
fi

if systemd_here; then
  systemctl daemon-reload
  echo "install.sh: installed; start with: systemctl enable --now sshrelayd"
else
  echo "install.sh: installed under ${destdir:-/}"
fi
