package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.ConfigurationException;
import io.ferrite.media.FlushBackend;
import io.ferrite.media.MediaOptions;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Every rule of {@link HeapOptions#conclude()}: a {@link ConfigurationException} naming the value or combination. */
class HeapOptionsConcludeTest {
    record Rule(String names, Supplier<HeapOptions> options) {
    }

    @Test
    void everyRuleIsAConfigurationExceptionNamingTheCombination() {
        List<Rule> rules = List.of(
                new Rule("mediaOptions must not be null", () -> HeapOptions.defaults().mediaOptions(null)),
                new Rule("durability must not be null", () -> HeapOptions.defaults().durability(null)),
                new Rule("logFullPolicy must not be null", () -> HeapOptions.defaults().logFullPolicy(null)),
                new Rule("slabSize=3000", () -> HeapOptions.defaults().slabSize(3000)),
                new Rule("slabSize=12288", () -> HeapOptions.defaults().slabSize(12288)),
                new Rule("logCapacity=4096", () -> HeapOptions.defaults().logCapacity(4096)),
                new Rule("logCapacity=-1", () -> HeapOptions.defaults().logCapacity(-1)),
                new Rule("registryLength=5000", () -> HeapOptions.defaults().registryLength(5000)),
                new Rule("checkpointInterval=PT-1S", () -> HeapOptions.defaults().checkpointInterval(Duration.ofSeconds(-1))),
                new Rule("logFullTimeout=PT-1S", () -> HeapOptions.defaults().logFullTimeout(Duration.ofSeconds(-1))),
                new Rule("mediaOptions.addressHint & HeapOptions.addressHint",
                        () -> HeapOptions.defaults().mediaOptions(MediaOptions.defaults().addressHint(0x1000_0000L))),
                new Rule("swizzleParallelism=2000", () -> HeapOptions.defaults().swizzleParallelism(2000)),
                new Rule("addressHint=0x1001 & page-aligned", () -> HeapOptions.defaults().addressHint(0x1001)),
                new Rule("addressHint=0x10000000 & jdk-sync", () -> HeapOptions.defaults().addressHint(0x1000_0000L)
                        .mediaOptions(MediaOptions.defaults().backend(FlushBackend.JDK_SYNC))),
                // the media options' own rules surface through the heap's conclude, same type
                new Rule("backend=memory", () -> HeapOptions.defaults().mediaOptions(MediaOptions.defaults().backend(FlushBackend.MEMORY))));
        for (Rule r : rules) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> r.options().get().conclude(), r.names());
            for (String word : r.names().split(" & ")) {
                assertTrue(e.getMessage().contains(word), r.names() + ": " + e.getMessage());
            }
        }
        assertNotNull(HeapOptions.defaults().conclude());
        System.out.println("HeapOptions.conclude: " + rules.size() + " rules checked");
    }
}
