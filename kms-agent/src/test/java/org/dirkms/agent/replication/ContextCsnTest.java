package org.dirkms.agent.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The contextCSN vector as slapd 2.5 writes it on the suffix of a multi-provider database. */
class ContextCsnTest {
    /** Values as a two-provider slapd 2.5 set showed them. */
    private static final String ONE_EARLY = "20261207062335.303991Z#000000#001#000000";
    private static final String ONE_LATE = "20261207062339.901945Z#000000#001#000000";
    private static final String TWO = "20261207062339.901945Z#000002#002#000000";

    @Test
    void keepsTheNewestValueOfEachServerId() {
        ContextCsn csn = ContextCsn.parse(List.of(ONE_EARLY, TWO, ONE_LATE));
        assertEquals(ONE_LATE, csn.newest().get("001"));
        assertEquals(TWO, csn.newest().get("002"));
    }

    @Test
    void coversWhatIsTheSameOrOlderForEveryServerIdOfTheOther() {
        ContextCsn caughtUp = ContextCsn.parse(List.of(ONE_LATE, TWO));
        ContextCsn behind = ContextCsn.parse(List.of(ONE_EARLY, TWO));
        assertTrue(caughtUp.covers(behind));
        assertFalse(behind.covers(caughtUp));
        assertTrue(caughtUp.covers(caughtUp));
        // A provider that never heard of server 2 has not applied its changes.
        assertFalse(ContextCsn.parse(List.of(ONE_LATE)).covers(behind));
        assertTrue(behind.covers(ContextCsn.EMPTY));
        assertFalse(ContextCsn.EMPTY.covers(behind));
    }

    @Test
    void aValueThatIsNoCsnIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ContextCsn.parse(List.of("20261207062339Z")));
        assertTrue(e.getMessage().contains("'20261207062339Z' is not a change sequence number"), e.getMessage());
    }
}
