#!/usr/bin/env bash
# Installs what `make interop` needs from Debian packages: QEMU, a Debian kernel, a static
# busybox, pppd/chat, and tshark (to decode the pcap). Never fails the build: when the packages
# cannot be installed (no apt, not root, no registry) it says why and the tests skip.
set -u
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
ls /boot/vmlinuz-* >/dev/null 2>&1 || need+=(linux-image-amd64)
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
{ command -v pppd >/dev/null || [ -x /usr/sbin/pppd ]; } || need+=(ppp)
command -v tshark >/dev/null || need+=(tshark)
if [ ${#need[@]} -eq 0 ]; then
    echo "interop: packages present"
    exit 0
fi
echo "interop: installing ${need[*]}"
if ! command -v apt-get >/dev/null; then
    echo "interop: SKIP - no apt-get on this machine; install ${need[*]} (Debian names) to run the interop test"
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"; } >/tmp/simnet-interop-apt.log 2>&1; then
    echo "interop: SKIP - could not install ${need[*]} (see /tmp/simnet-interop-apt.log)"
fi
exit 0
