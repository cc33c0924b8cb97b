# Sourced by ./mvnw and ./ferrite: makes JAVA_HOME point at a JDK 25 or newer.
# Order: $JAVA_HOME if it is 25+, then the newest 25+ JDK in the usual install places, then
# the `java` on PATH if it is 25+. Otherwise one line says what to install, and we stop.

ferrite_jdk_major() {
  # $1 = a JDK home; prints its feature version (e.g. 25) or nothing
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$1/release" | head -n 1
  elif [ -x "$1/bin/java" ]; then
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1
  fi
}

ferrite_find_jdk() {
  # callers may run with `set -f` (mvnw does): the search below needs globbing
  case $- in *f*) set +f; ferrite_noglob=1 ;; *) ferrite_noglob=0 ;; esac
  ferrite_find_jdk_inner
  r=$?
  [ "$ferrite_noglob" = 1 ] && set -f
  return $r
}

ferrite_find_jdk_inner() {
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    v=$(ferrite_jdk_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then printf %s "$JAVA_HOME"; return 0; fi
  fi
  best=""; bestv=0
  for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* /usr/java/* \
           "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -x "$d/bin/javac" ] || continue
    v=$(ferrite_jdk_major "$d")
    [ -n "$v" ] || continue
    if [ "$v" -ge 25 ] && [ "$v" -gt "$bestv" ]; then best="$d"; bestv="$v"; fi
  done
  if [ -n "$best" ]; then printf %s "$best"; return 0; fi
  if command -v javac >/dev/null 2>&1; then
    d=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    v=$(ferrite_jdk_major "$d")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then printf %s "$d"; return 0; fi
  fi
  return 1
}

if FERRITE_JDK=$(ferrite_find_jdk); then
  JAVA_HOME="$FERRITE_JDK"
  export JAVA_HOME
else
  echo "ferrite: needs a JDK 25 or newer and found none (JAVA_HOME=${JAVA_HOME-unset}); install one (e.g. Temurin 25, or Debian's openjdk-25-jdk) or set JAVA_HOME to it" >&2
  exit 1
fi
