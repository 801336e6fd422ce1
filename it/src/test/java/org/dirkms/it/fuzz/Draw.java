package org.dirkms.it.fuzz;

import java.util.List;
import java.util.SplittableRandom;

/** Small draws the case factories share. */
final class Draw {
    private Draw() {
    }

    /**
     * An identity: the agent most often (its writes reach the validators), then the
     * superuser, the KMS administrator, the user and anonymous.
     */
    static Who identity(SplittableRandom random) {
        int draw = random.nextInt(20);
        return draw < 8 ? Who.AGENT : draw < 11 ? Who.ADMIN : draw < 15 ? Who.KMS_ADMIN : draw < 18 ? Who.USER
                : Who.ANONYMOUS;
    }

    /** One of {@code items}. */
    static <T> T one(SplittableRandom random, List<T> items) {
        return items.get(random.nextInt(items.size()));
    }
}
