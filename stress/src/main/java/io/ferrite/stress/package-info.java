/**
 * jcstress concurrency tests of the allocator, log reservation / group commit and replication
 * slots (a later issue). Run behind a Maven profile, not in the README's test command.
 */
package io.ferrite.stress;
