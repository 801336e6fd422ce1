package org.dirkms.agent.directory;

import java.text.ParseException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.directory.api.util.GeneralizedTime;

/** RFC 4517 section 3.3.13 GeneralizedTime, written in UTC to the second, read in any form the syntax allows. */
final class LdapTimes {
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private LdapTimes() {
    }

    static String format(Instant instant) {
        return GENERALIZED_TIME.format(instant);
    }

    /** The instant of a stored value, or null when absent; a malformed value names the entry and attribute. */
    static Instant parse(String value, String dn, String attribute) {
        if (value == null) {
            return null;
        }
        try {
            return new GeneralizedTime(value).getDate().toInstant();
        } catch (ParseException | RuntimeException e) {
            throw new DirectoryAccessException(dn + ": " + attribute + " '" + value + "' is not a GeneralizedTime");
        }
    }
}
