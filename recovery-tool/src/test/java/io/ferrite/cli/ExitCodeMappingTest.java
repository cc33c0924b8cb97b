package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.ConfigurationException;
import io.ferrite.FerriteException;
import io.ferrite.media.MediaException;
import io.ferrite.pheap.HeapLockedException;
import io.ferrite.pheap.PoolCorruptedException;
import io.ferrite.pheap.PoolFormatException;
import io.ferrite.pheap.RedoRecordException;
import io.ferrite.pmlog.LogCorruptedException;
import io.ferrite.store.CorruptedEntryException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI's table from exception type to exit code; the message text never decides it. */
class ExitCodeMappingTest {
    @Test
    void exitCodesComeFromTheExceptionTypeOnly() {
        Map<Throwable, Integer> table = new LinkedHashMap<>();
        table.put(ToolException.usage("x", ""), Ferrite.EXIT_USAGE);
        table.put(ToolException.damaged("x", ""), Ferrite.EXIT_ERRORS_LEFT);
        table.put(new PoolCorruptedException("x", ""), Ferrite.EXIT_ERRORS_LEFT);
        table.put(new RedoRecordException(64, "x", ""), Ferrite.EXIT_ERRORS_LEFT);
        table.put(new LogCorruptedException("x", ""), Ferrite.EXIT_ERRORS_LEFT);
        table.put(new CorruptedEntryException("c", null, 64, "x", "pool"), Ferrite.EXIT_ERRORS_LEFT);
        table.put(new FerriteException("x", ""), Ferrite.EXIT_ERRORS_LEFT);
        table.put(new PoolFormatException("x", ""), Ferrite.EXIT_USAGE);
        table.put(new HeapLockedException("x", ""), Ferrite.EXIT_USAGE);
        table.put(new MediaException("x", ""), Ferrite.EXIT_USAGE);
        table.put(new ConfigurationException("x"), Ferrite.EXIT_USAGE);
        table.put(new IllegalStateException("x"), Ferrite.EXIT_USAGE);
        table.put(new OutOfMemoryError("x"), Ferrite.EXIT_USAGE);
        for (Map.Entry<Throwable, Integer> e : table.entrySet()) {
            assertEquals(e.getValue(), Ferrite.exitCodeOf(e.getKey()), e.getKey().getClass().getSimpleName());
        }
        // the words that once decided it no longer do, in either direction
        String words = "damaged, truncated, inconsistent";
        assertEquals(Ferrite.EXIT_USAGE, Ferrite.exitCodeOf(new PoolFormatException("superblock " + words, words)));
        assertEquals(Ferrite.EXIT_ERRORS_LEFT, Ferrite.exitCodeOf(new PoolCorruptedException("not a pool", "")));
        System.out.println("exit codes: " + (table.size() + 2) + " exception types mapped");
    }
}
