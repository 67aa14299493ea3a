#!/bin/sh
# Builds the hello-image example as an OCI image from local parts only (Debian's busybox-static, umoci) and
# pushes it with skopeo to a registry: ./build.sh 127.0.0.1:5000 [tag]
# Needs: busybox-static, umoci, skopeo (apt-get install busybox-static umoci skopeo). Run as root (umoci unpack
# keeps file owners). Prints the pushed reference and its digest.
set -eu

registry=${1:?usage: build.sh REGISTRY_HOST:PORT [TAG]}
tag=${2:-1.0}
repository=${HELLO_IMAGE_REPOSITORY:-hello-image}
here=$(cd "$(dirname "$0")" && pwd)
busybox=${BUSYBOX:-/bin/busybox}

work=$(mktemp -d "${TMPDIR:-/tmp}/hello-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

[ -x "$busybox" ] || {
  echo "build.sh: $busybox is not a static busybox (apt-get install busybox-static)" >&2
  exit 1
}

umoci init --layout "$work/oci"
umoci new --image "$work/oci:$tag"
umoci unpack --image "$work/oci:$tag" "$work/bundle"
rootfs="$work/bundle/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/www" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in sh httpd cat echo id ps ls sleep wget hostname kill; do
  ln -s busybox "$rootfs/bin/$applet"
done
cp "$here/rootfs/etc/passwd" "$here/rootfs/etc/group" "$rootfs/etc/"
cp "$here/rootfs/www/index.html" "$here/rootfs/www/healthz" "$rootfs/www/"
install -m 0755 "$here/rootfs/bin/hello-server" "$rootfs/bin/hello-server"
umoci repack --image "$work/oci:$tag" "$work/bundle"
umoci config --image "$work/oci:$tag" \
  --config.entrypoint /bin/hello-server \
  --config.env PATH=/bin \
  --config.env GREETING="hello from titan (image)" \
  --config.workingdir /www \
  --config.exposedports 8080/tcp

skopeo --insecure-policy copy --quiet --dest-tls-verify=false \
  "oci:$work/oci:$tag" "docker://$registry/$repository:$tag"
digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$registry/$repository:$tag")
echo "$registry/$repository:$tag $digest"
