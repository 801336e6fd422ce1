package org.dirkms.dist;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CaRecords;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.agent.ocsp.CaRecordsAccess;

/**
 * The CA's records over a few reused LDAP connections (LDAPS or StartTLS, bound as the KMS
 * agent, as every other reader in {@code dirkms serve}): what the HTTP service reads for each
 * request without opening a connection each time. A connection whose read failed is closed,
 * not reused; at most {@code idle} connections are kept open between requests.
 */
final class PooledCaRecords implements CaRecordsAccess, AutoCloseable {
    private final KmsContext kms;
    private final Clock clock;
    private final BlockingQueue<Pooled> idle;
    private volatile boolean closed;

    private record Pooled(LdapNetworkConnection connection, CaRecords records) {
    }

    PooledCaRecords(KmsContext kms, Clock clock, int idle) {
        this.kms = kms;
        this.clock = clock;
        this.idle = new LinkedBlockingQueue<>(idle);
    }

    @Override
    public <T> T read(Function<CaRecords, T> work) {
        Pooled pooled = idle.poll();
        if (pooled == null) {
            pooled = open();
        }
        T result;
        try {
            result = work.apply(pooled.records());
        } catch (RuntimeException e) {
            close(pooled);
            throw e;
        }
        if (closed || !idle.offer(pooled)) {
            close(pooled);
        }
        return result;
    }

    private Pooled open() {
        try {
            LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS);
            return new Pooled(connection, new LdapCaRecords(connection, kms.layout(), clock));
        } catch (IOException | LdapException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot reach the directory: " + e.getMessage(), e);
        }
    }

    private static void close(Pooled pooled) {
        pooled.connection().close();
    }

    /** Closes every idle connection; reads under way close theirs when they end. */
    @Override
    public void close() {
        closed = true;
        Pooled pooled;
        while ((pooled = idle.poll()) != null) {
            close(pooled);
        }
    }
}
