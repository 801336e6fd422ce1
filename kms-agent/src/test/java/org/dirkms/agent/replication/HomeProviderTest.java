package org.dirkms.agent.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The home provider every agent of a replicated directory writes to: the first of the shared list
 * that answers and has caught up with those after it.
 */
class HomeProviderTest {
    private static final String P1 = "ldap://127.0.0.1:3891";
    private static final String P2 = "ldap://127.0.0.1:3892";

    /** Providers whose contextCSN the test sets; an absent one does not answer. */
    private final Map<String, ContextCsn> providers = new HashMap<>();
    private final List<String> readOrder = new ArrayList<>();
    private final HomeProvider home = new HomeProvider(List.of(P1, P2), url -> {
        readOrder.add(url);
        return Optional.ofNullable(providers.get(url));
    });

    private static ContextCsn csn(String... values) {
        return ContextCsn.parse(List.of(values));
    }

    private static final String AT_10_FROM_1 = "20261207070010.000000Z#000000#001#000000";
    private static final String AT_20_FROM_1 = "20261207070020.000000Z#000000#001#000000";
    private static final String AT_30_FROM_2 = "20261207070030.000000Z#000000#002#000000";

    @Test
    void theFirstProviderIsHomeWhileItAnswersAndHasWhatTheOthersHave() {
        providers.put(P1, csn(AT_20_FROM_1, AT_30_FROM_2));
        providers.put(P2, csn(AT_10_FROM_1, AT_30_FROM_2)); // behind P1: replication still on its way
        HomeProvider.Choice choice = home.choose().orElseThrow();
        assertEquals(P1, choice.url());
        assertTrue(choice.everyProviderAnswered());
        // The later providers are read first: the first is compared with what they held before it was read.
        assertEquals(List.of(P2, P1), readOrder);
    }

    @Test
    void whenTheFirstIsDownTheNextIsHome() {
        providers.put(P2, csn(AT_10_FROM_1));
        HomeProvider.Choice choice = home.choose().orElseThrow();
        assertEquals(1, choice.index());
        assertFalse(choice.everyProviderAnswered());
        assertFalse(home.caughtUp(P2));
    }

    @Test
    void aRestartedProviderBecomesHomeAgainOnlyOnceItCaughtUp() {
        // P1 restarted: P2 took writes (server 2) P1 has not applied yet.
        providers.put(P1, csn(AT_20_FROM_1));
        providers.put(P2, csn(AT_20_FROM_1, AT_30_FROM_2));
        assertEquals(P2, home.choose().orElseThrow().url());
        assertFalse(home.caughtUp(P1));
        assertTrue(home.caughtUp(P2));
        // syncrepl brought P2's changes across.
        providers.put(P1, csn(AT_20_FROM_1, AT_30_FROM_2));
        assertEquals(P1, home.choose().orElseThrow().url());
        assertTrue(home.caughtUp(P1));
    }

    @Test
    void aProviderHoldingChangesTheOthersLackIsStillHomeWhenItIsTheLast() {
        // P2 was home and killed after acknowledging a write syncrepl had not sent; P1 was behind.
        providers.put(P1, csn(AT_10_FROM_1));
        providers.put(P2, csn(AT_20_FROM_1, AT_30_FROM_2));
        assertEquals(P2, home.choose().orElseThrow().url());
    }

    @Test
    void noProviderAnsweringIsNoHome() {
        assertTrue(home.choose().isEmpty());
        assertFalse(home.caughtUp(P1));
    }

    @Test
    void aListNamingAProviderTwiceOrNoneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new HomeProvider(List.of(), url -> Optional.empty()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new HomeProvider(List.of(P1, P1.toUpperCase()), url -> Optional.empty()));
        assertTrue(e.getMessage().contains("names a provider twice"), e.getMessage());
    }
}
