package org.dirkms.agent.ca;

/**
 * A certificate template entry that cannot be used, naming the entry and the attribute at
 * fault so that an administrator can fix it with one {@code ldapmodify}.
 */
public final class InvalidTemplateException extends IllegalArgumentException {
    private final String entryDn;
    private final String attribute;

    /** A fault of {@code attribute} in the template entry {@code entryDn}, described by {@code problem}. */
    public InvalidTemplateException(String entryDn, String attribute, String problem) {
        super("certificate template " + entryDn + ": " + attribute + " " + problem);
        this.entryDn = entryDn;
        this.attribute = attribute;
    }

    /** DN of the faulty template entry. */
    public String entryDn() {
        return entryDn;
    }

    /** Name of the faulty attribute. */
    public String attribute() {
        return attribute;
    }
}
