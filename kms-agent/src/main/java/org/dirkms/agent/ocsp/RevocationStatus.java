package org.dirkms.agent.ocsp;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.dirkms.agent.ca.CaRecords.CaEntry;
import org.dirkms.agent.ca.CertificationAuthority;

/**
 * The revocation state of one CA as the directory holds it now: the CRL on the CA entry
 * ({@code certificateRevocationList;binary}), which every revocation publishes before it
 * returns (the CA's {@code CaService}), and what the CA knows it issued
 * (docs/directory-layout.md, "What the CA knows it issued").
 *
 * <p>Fast and never stale: each call reads the CA entry's {@code entryCSN} only (a few dozen
 * bytes) and parses the CRL again only when it changed, so a revocation by any process shows
 * at the next request, with no CRL validity window. A serial found issued is remembered (a
 * certificate once issued stays issued); a serial not found is searched for again at every
 * request, one search at a time, because the CA may issue it a moment later.
 *
 * <p>Safe for concurrent use.
 */
public final class RevocationStatus implements CertificateStatusSource {
    /** More serials than a CA of this size issues between restarts; past it the memory starts over. */
    static final int ISSUED_MEMORY = 200_000;

    private final CertificationAuthority ca;
    private final CaRecordsAccess records;
    private final Set<BigInteger> issued = ConcurrentHashMap.newKeySet();
    private final Object search = new Object();
    private volatile Snapshot snapshot;
    /** Guards the read numbers: reads started, the last completed, whether one is under way. */
    private final Object reads = new Object();
    private long started;
    private long completed;
    private boolean reading;

    /** The CRL as last read, and the change sequence of the entry it was read under. */
    private record Snapshot(String changeSequence, byte[] der, X509CRL crl) {
    }

    /** The state of {@code ca}, read through {@code records}. */
    public RevocationStatus(CertificationAuthority ca, CaRecordsAccess records) {
        this.ca = ca;
        this.records = records;
    }

    /** The CA whose state this is. */
    public CertificationAuthority ca() {
        return ca;
    }

    /**
     * The DER of the CRL on the CA entry now (RFC 5280 section 5), exactly as published.
     *
     * @throws IllegalStateException if the CA entry or its CRL is missing or cannot be parsed
     */
    public byte[] currentCrlDer() {
        return current().der().clone();
    }

    @Override
    public CertificateStatus status(BigInteger serial) {
        X509CRLEntry entry = current().crl().getRevokedCertificate(serial);
        if (entry != null) {
            return new CertificateStatus.Revoked(entry.getRevocationDate().toInstant(), entry.getRevocationReason());
        }
        if (issued.contains(serial)) {
            return new CertificateStatus.Good();
        }
        synchronized (search) {
            if (issued.contains(serial)) {
                return new CertificateStatus.Good();
            }
            boolean found = records.read(r -> r.findKeptCertificate(der -> ca.issued(der, serial)).isPresent());
            if (!found) {
                return new CertificateStatus.Unknown();
            }
            if (issued.size() >= ISSUED_MEMORY) {
                issued.clear();
            }
            issued.add(serial);
        }
        // Revoked between the CRL read and the search: the newer CRL says so.
        entry = current().crl().getRevokedCertificate(serial);
        return entry == null ? new CertificateStatus.Good()
                : new CertificateStatus.Revoked(entry.getRevocationDate().toInstant(), entry.getRevocationReason());
    }

    /**
     * The CRL as of a read that began after this call did: never older than the moment of
     * the request. Requests that arrive while a read is under way share the next read instead of
     * each making its own (the first of them makes it), so that under load the directory is read
     * once per batch of requests, not once per request.
     */
    private Snapshot current() {
        long mine;
        synchronized (reads) {
            // A read that starts after this moment: the one after those started so far.
            long needed = started + 1;
            while (true) {
                if (completed >= needed) {
                    return snapshot;
                }
                if (!reading) {
                    reading = true;
                    mine = ++started;
                    break;
                }
                try {
                    reads.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while reading the revocation state", e);
                }
            }
        }
        try {
            Snapshot read = read();
            synchronized (reads) {
                completed = mine;
            }
            return read;
        } finally {
            // A failed read completes nothing: a waiter starts the next one.
            synchronized (reads) {
                reading = false;
                reads.notifyAll();
            }
        }
    }

    private Snapshot read() {
        Snapshot last = snapshot;
        Optional<String> sequence = records.read(r -> r.changeSequence(ca.dn()));
        if (last != null && sequence.isPresent() && sequence.get().equals(last.changeSequence())) {
            return last;
        }
        // Read the sequence first and the CRL after it: a change in between leaves a newer CRL
        // under an older sequence, which the next call reads again; never the reverse.
        byte[] der = records.read(r -> r.readCa(ca.dn())).map(CaEntry::crl).orElseThrow(
                () -> new IllegalStateException("the CA entry " + ca.dn() + " has no CRL"));
        X509CRL crl;
        if (last != null && java.util.Arrays.equals(der, last.der())) {
            crl = last.crl();
        } else {
            try {
                crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
                crl.verify(ca.certificate().getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the CRL on CA entry " + ca.dn() + " cannot be parsed or was not"
                        + " signed by the CA", e);
            }
        }
        Snapshot next = new Snapshot(sequence.orElse(null), der, crl);
        snapshot = next;
        return next;
    }
}
