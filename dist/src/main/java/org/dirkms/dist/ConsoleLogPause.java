package org.dirkms.dist;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.LoggerFactory;

/**
 * Keeps log lines off the console while a progress display runs: every console appender of this
 * JVM's logback (whatever {@code DIR/logback.xml} declares) is detached from its logger, and put
 * back on {@link #close()}. The other appenders, the log file among them, get every event as
 * before; what happened meanwhile is in the file, not on the screen, where it would break the
 * progress bar up line by line.
 */
final class ConsoleLogPause implements AutoCloseable {

    /** A console appender and the logger it was detached from. */
    private record Detached(Logger logger, Appender<ILoggingEvent> appender) {
    }

    private final List<Detached> detached;

    private ConsoleLogPause(List<Detached> detached) {
        this.detached = detached;
    }

    /** Detaches every console appender until {@link #close()}; nothing to do with another SLF4J backend. */
    static ConsoleLogPause start() {
        List<Detached> detached = new ArrayList<>();
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            for (Logger logger : context.getLoggerList()) {
                for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext();) {
                    Appender<ILoggingEvent> appender = it.next();
                    if (appender instanceof ConsoleAppender) {
                        detached.add(new Detached(logger, appender));
                    }
                }
            }
            detached.forEach(d -> d.logger().detachAppender(d.appender()));
        }
        return new ConsoleLogPause(detached);
    }

    /** Puts the console appenders back. */
    @Override
    public void close() {
        detached.forEach(d -> d.logger().addAppender(d.appender()));
        detached.clear();
    }
}
