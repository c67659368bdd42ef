#!/usr/bin/env bash
# Build the self-contained eoslab image (mvn -Pdist package runs this after the shaded jar):
#   target/dist/eoslab/            runtime/  a jlink'ed Java runtime (no JDK needed where it runs)
#                                  lib/      eoslab.jar (shaded, kernels.fatbin inside),
#                                            eoslab-tests.jar + junit-platform-console-standalone.jar
#                                  bin/      eoslab, eoslab-test, eoslab-bench-gpu, eoslab-gpu-session
#                                  bench/gpu/ the GPU benchmark scripts;  docs/gpu.md;  COMMIT
#   target/dist/eoslab-VERSION-linux-x64.tar.gz
# Modules: what jdeps reports for the shaded jar and the JUnit console launcher, plus
# jdk.incubator.vector (loaded reflectively via --add-modules, so jdeps cannot see it). The JDK
# needs no jmods: JDK 24+ jlink links from its own run-time image (JEP 493) when built with
# --enable-linkable-runtime, as Temurin 25 is.
#   usage: native/dist/build-dist.sh VERSION     env: JAVA_HOME (a JDK 25), EOSLAB_DIST_MODULES (override),
#          EOSLAB_DIST_PLOTS=0 (a lean image without java.desktop: no PNG plots, about 20 MB smaller)
set -euo pipefail
cd "$(dirname "$0")/../.."
version="${1:?usage: build-dist.sh VERSION}"
jdk="${JAVA_HOME:?JAVA_HOME must point at a JDK 25}"
jar=target/eoslab.jar tests=target/eoslab-tests.jar
console=target/dist-lib/junit-platform-console-standalone.jar
for f in "$jar" "$tests" "$console"; do [[ -f "$f" ]] || { echo "build-dist: $f missing (run mvn -Pdist package)" >&2; exit 1; }; done
[[ -x "$jdk/bin/jlink" ]] || { echo "build-dist: no jlink in $jdk" >&2; exit 1; }
if ! unzip -l "$jar" eoslab/kernels.fatbin >/dev/null 2>&1; then
  echo "build-dist: WARNING: $jar has no eoslab/kernels.fatbin (built without nvcc): --device cuda will not work" >&2
fi

out=target/dist/eoslab
rm -rf target/dist
mkdir -p "$out/lib" "$out/bin" "$out/docs"

deps() { "$jdk/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps "$@" 2>/dev/null; }
modules="${EOSLAB_DIST_MODULES:-$( { deps "$jar"; deps "$console"; echo jdk.incubator.vector; } | tr ',' '\n' | sort -u | paste -sd, -)}"
# A lean image (EOSLAB_DIST_PLOTS=0) links only java.base, java.logging and java.xml (the JUnit
# launcher logs through the one and writes its --reports-dir XML with the other) and the vector API: no java.desktop (AWT, for the PNG plots: about 19 MB of the runtime)
# and no java.sql (jdeps sees optional converters in Jackson and picocli that eoslab never uses).
# Its commands write every data file but no PNG, and say so once per run (eoslab.io.Plots);
# src/test/java/eoslab/cli/LeanRuntimeTest.java runs eoslab on exactly these modules.
if [[ "${EOSLAB_DIST_PLOTS:-1}" == 0 ]]; then modules=java.base,java.logging,java.xml,jdk.incubator.vector; fi
echo "build-dist: jlink modules $modules"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress zip-9 \
  --exclude-files '**/libsplashscreen.so,**/libjsound.so' --output "$out/runtime" 2>&1 | grep -v "incubator modules" || true
[[ -x "$out/runtime/bin/java" ]] || { echo "build-dist: jlink failed" >&2; exit 1; }
# The JDK's shared libraries keep their full symbol tables (libjvm.so alone: 5 MB of .symtab);
# the dynamic symbols the loader needs stay.
if command -v strip >/dev/null; then find "$out/runtime/lib" -name '*.so' -exec strip --strip-unneeded {} +; fi

cp "$jar" "$out/lib/eoslab.jar"
cp "$tests" "$out/lib/eoslab-tests.jar"
cp "$console" "$out/lib/junit-platform-console-standalone.jar"
cp native/dist/eoslab native/dist/eoslab-test "$out/bin/"
mkdir -p "$out/bench" && cp -r bench/gpu "$out/bench/gpu"
ln -s ../bench/gpu/run-all.sh "$out/bin/eoslab-bench-gpu"
ln -s ../bench/gpu/session.sh "$out/bin/eoslab-gpu-session"
cp docs/gpu.md "$out/docs/"
chmod +x "$out"/bin/eoslab "$out"/bin/eoslab-test "$out"/bench/gpu/*.sh
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
[[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]] || commit="$commit-dirty"
echo "$version $commit" > "$out/COMMIT"

"$out/bin/eoslab" --version >/dev/null || { echo "build-dist: the image's launcher does not run" >&2; exit 1; }
tarball="target/dist/eoslab-$version-linux-x64.tar.gz"
tar -C target/dist -czf "$tarball" eoslab
# apparent sizes (du -sb), in MB = 1e6 bytes, as docs/gpu.md quotes them
size() { du -sb "$@" | awk '{s += $1} END {printf "%.1f MB (%.1f MiB)", s / 1e6, s / 1048576}'; }
echo "build-dist: $out: runtime $(size "$out/runtime") (libjvm.so $(size "$out"/runtime/lib/server/libjvm.so)), eoslab.jar $(size "$out/lib/eoslab.jar"), test jars $(size "$out/lib/eoslab-tests.jar" "$out/lib/junit-platform-console-standalone.jar")"
echo "build-dist: image $(size "$out") (the device tool carries at most 64 MiB with the repository: carry the tarball)"
echo "build-dist: tarball $tarball $(size "$tarball")"
