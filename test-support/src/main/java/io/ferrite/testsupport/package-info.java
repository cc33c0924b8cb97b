/**
 * Helpers shared by the tests of every module (used in test scope only, never by main code).
 *
 * <p>Threading: {@link io.ferrite.testsupport.TempPools} is safe to call from several test
 * threads (names come from an atomic counter, the sweep runs once per prefix). Durability: none
 * wanted; the files are temporary, on /dev/shm, and deleted by the test that made them or, if its
 * JVM was killed, by the sweep of a later run.
 */
package io.ferrite.testsupport;
