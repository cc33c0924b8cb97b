/**
 * Integration tests across modules: crash simulation, process kill, replication faults,
 * end to end. Pools live on /dev/shm and are deleted by each test.
 */
package io.ferrite.tests;
