package org.dirkms.agent.ocsp;

import java.util.function.Function;
import org.dirkms.agent.ca.CaRecords;

/**
 * Runs a read of the CA's records over a connection the implementation manages (opened,
 * reused, closed), so that the HTTP service reads the directory as every other reader of it
 * does without holding a connection itself.
 */
public interface CaRecordsAccess {

    /**
     * Applies {@code work} to the CA's records and returns its result.
     *
     * @throws RuntimeException (the implementation's unchecked failure) if the directory
     *         cannot be reached; the caller answers that it cannot tell now
     */
    <T> T read(Function<CaRecords, T> work);
}
