package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.ConfigurationException;
import io.ferrite.media.FlushBackend;
import io.ferrite.media.MediaOptions;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Every rule of {@link PmLogOptions#conclude()} and {@link MediaOptions#conclude()}: one exception type, naming the values. */
class OptionsConcludeTest {
    record Rule(String names, Supplier<Object> conclude) {
    }

    static int check(List<Rule> rules) {
        for (Rule r : rules) {
            ConfigurationException e = assertThrows(ConfigurationException.class, r.conclude()::get, r.names());
            for (String word : r.names().split(" & ")) {
                assertTrue(e.getMessage().contains(word), r.names() + ": " + e.getMessage());
            }
        }
        return rules.size();
    }

    @Test
    void everyMediaOptionsRuleIsAConfigurationExceptionNamingTheCombination() {
        int n = check(List.of(
                new Rule("backend must not be null", () -> MediaOptions.defaults().backend(null).conclude()),
                new Rule("backend=memory", () -> MediaOptions.defaults().backend(FlushBackend.MEMORY).conclude()),
                new Rule("requireAddress=true & addressHint", () -> MediaOptions.defaults().requireAddress(true).conclude()),
                new Rule("addressHint=0x1001 & page aligned", () -> MediaOptions.defaults().addressHint(0x1001).conclude()),
                new Rule("addressHint & avoidAddress & 0x10000000",
                        () -> MediaOptions.defaults().addressHint(0x1000_0000L).avoidAddress(0x1000_0000L).conclude()),
                new Rule("backend=jdk-sync & address hint",
                        () -> MediaOptions.defaults().backend(FlushBackend.JDK_SYNC).addressHint(0x1000_0000L).conclude()),
                new Rule("backend=jdk-sync & address hint",
                        () -> MediaOptions.defaults().backend(FlushBackend.JDK_SYNC).avoidAddress(0x1000_0000L).conclude())));
        assertNotNull(MediaOptions.defaults().conclude());
        System.out.println("MediaOptions.conclude: " + n + " rules checked");
    }

    @Test
    void everyPmLogOptionsRuleIsAConfigurationExceptionNamingTheValue() {
        int n = check(List.of(
                new Rule("maxRecordSize=-1", () -> PmLogOptions.defaults().maxRecordSize(-1).conclude()),
                new Rule("fullPolicy must not be null", () -> PmLogOptions.defaults().fullPolicy(null).conclude()),
                new Rule("onFull must not be null", () -> PmLogOptions.defaults().onFull(null).conclude()),
                new Rule("mediaOptions must not be null", () -> PmLogOptions.defaults().mediaOptions(null).conclude()),
                new Rule("fullWaitTimeout=PT-1S", () -> PmLogOptions.defaults().fullWaitTimeout(Duration.ofSeconds(-1)).conclude()),
                new Rule("fullWaitTimeout=null", () -> PmLogOptions.defaults().fullWaitTimeout(null).conclude()),
                new Rule("groupWaitNanos=-1", () -> PmLogOptions.defaults().groupWaitNanos(-1).conclude()),
                new Rule("spinNanos=-1", () -> PmLogOptions.defaults().spinNanos(-1).conclude())));
        assertNotNull(PmLogOptions.defaults().conclude());
        System.out.println("PmLogOptions.conclude: " + n + " rules checked");
    }
}
