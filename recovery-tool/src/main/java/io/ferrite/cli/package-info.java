/**
 * The {@code ferrite} command line (picocli): what an operator runs after a crash.
 *
 * <p>Threading: each command runs on the main thread and opens what it inspects itself.
 * Durability: inspection commands map pools read-only; anything that writes (recover,
 * check --repair) says each change it makes.
 */
package io.ferrite.cli;
