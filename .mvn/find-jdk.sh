# Sourced by ./mvnw and ./jsteer: exports JAVA_HOME pointing at a JDK 25 or newer.
# Order: $JAVA_HOME when it is 25+, then the JDKs under /usr/lib/jvm (and macOS's
# /Library/Java/JavaVirtualMachines), newest first. Fails with a message saying how to fix it.

jsteer_jdk_major() {
  # prints the major version of the JDK at $1, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n 1
  else
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
  fi
}

jsteer_find_jdk() {
  jsteer_required=25
  if [ -n "${JAVA_HOME-}" ]; then
    v=$(jsteer_jdk_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge "$jsteer_required" ]; then export JAVA_HOME; return 0; fi
  fi
  best=""; bestv=0
  for d in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home "$HOME"/.sdkman/candidates/java/*; do
    [ -d "$d" ] || continue
    v=$(jsteer_jdk_major "$d")
    [ -n "$v" ] || continue
    if [ "$v" -ge "$jsteer_required" ] && [ "$v" -gt "$bestv" ]; then best="$d"; bestv="$v"; fi
  done
  if [ -n "$best" ]; then JAVA_HOME="$best"; export JAVA_HOME; return 0; fi
  echo "jsteer: error: no JDK $jsteer_required or newer found (JAVA_HOME=${JAVA_HOME:-unset}; looked in /usr/lib/jvm)." >&2
  echo "jsteer: install one (e.g. Temurin 25: apt-get install temurin-25-jdk) or set JAVA_HOME to it." >&2
  return 1
}
