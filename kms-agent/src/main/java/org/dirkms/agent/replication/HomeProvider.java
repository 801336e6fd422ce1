package org.dirkms.agent.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The home provider of a multi-provider set (docs/reliability.md, "Replicated directories"):
 * where every agent makes its claims and every other write, so that the test-and-set of a claim
 * (RFC 4511 section 4.6), atomic on one provider only, decides between agents.
 *
 * <p>Every agent is given the same ordered list of providers. The home is the first provider of
 * the list that answers and has applied everything the providers after it had
 * ({@link ContextCsn#covers}): the providers are read from the last to the first, so that a
 * provider is compared with what the later ones held <em>before</em> it was read, and a
 * provider restarted after a failover becomes the home again only once syncrepl brought it what
 * was written meanwhile elsewhere. A provider that has not caught up is passed over: an agent
 * working there would read users as they were before the failover and could claim one again. The
 * last provider that answers is always eligible.
 */
public final class HomeProvider {

    /** How a provider is read: its {@code contextCSN}, or empty when it does not answer. */
    @FunctionalInterface
    public interface Reading {
        /** The {@code contextCSN} of the provider at {@code url}, or empty when it cannot be reached. */
        Optional<ContextCsn> read(String url);
    }

    /**
     * The provider chosen as home.
     *
     * @param index its place in the list, from 0
     * @param url its URL
     * @param everyProviderAnswered whether every provider of the list answered
     */
    public record Choice(int index, String url, boolean everyProviderAnswered) {
    }

    private final List<String> urls;
    private final Reading reading;

    /**
     * The home among {@code urls}, in the order every agent shares, read with {@code reading}.
     *
     * @throws IllegalArgumentException if the list is empty or names a provider twice
     */
    public HomeProvider(List<String> urls, Reading reading) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("a replicated directory needs at least one provider URL");
        }
        if (urls.stream().map(u -> u.toLowerCase(java.util.Locale.ROOT)).distinct().count() != urls.size()) {
            throw new IllegalArgumentException("the provider list " + urls + " names a provider twice");
        }
        this.urls = List.copyOf(urls);
        this.reading = reading;
    }

    /** The providers, in the order every agent shares. */
    public List<String> urls() {
        return urls;
    }

    /** The home now, or empty when no provider answers. */
    public Optional<Choice> choose() {
        List<Optional<ContextCsn>> read = readFromTheLast();
        boolean all = read.stream().allMatch(Optional::isPresent);
        for (int i = 0; i < urls.size(); i++) {
            if (read.get(i).isPresent() && coversLater(read, i)) {
                return Optional.of(new Choice(i, urls.get(i), all));
            }
        }
        return Optional.empty();
    }

    /**
     * Whether the directory has converged as far as the home can tell: every provider answers,
     * and {@code home} has applied everything each of the others held when it was read just
     * before. What the home lacks then was written elsewhere after that moment, which only an
     * agent that has not yet moved to the same home does.
     */
    public boolean caughtUp(String home) {
        int index = urls.indexOf(home);
        if (index < 0) {
            throw new IllegalArgumentException(home + " is not one of the providers " + urls);
        }
        List<ContextCsn> others = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            if (i != index) {
                Optional<ContextCsn> other = reading.read(urls.get(i));
                if (other.isEmpty()) {
                    return false;
                }
                others.add(other.get());
            }
        }
        Optional<ContextCsn> mine = reading.read(home);
        return mine.isPresent() && others.stream().allMatch(mine.get()::covers);
    }

    private List<Optional<ContextCsn>> readFromTheLast() {
        List<Optional<ContextCsn>> read = new ArrayList<>(java.util.Collections.nCopies(urls.size(), Optional.empty()));
        for (int i = urls.size() - 1; i >= 0; i--) {
            read.set(i, reading.read(urls.get(i)));
        }
        return read;
    }

    private static boolean coversLater(List<Optional<ContextCsn>> read, int index) {
        ContextCsn mine = read.get(index).orElseThrow();
        for (int later = index + 1; later < read.size(); later++) {
            if (read.get(later).isPresent() && !mine.covers(read.get(later).get())) {
                return false;
            }
        }
        return true;
    }
}
