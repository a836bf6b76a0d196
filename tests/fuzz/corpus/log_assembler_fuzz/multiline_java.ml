2026-11-21T10:00:00.123456789Z stderr F 2026-11-21 10:00:00 ERROR request failed
2026-11-21T10:00:00.123456789Z stderr F java.lang.IllegalStateException: boom
2026-11-21T10:00:00.123456789Z stderr F     at com.shop.Checkout.pay(Checkout.java:42)
2026-11-21T10:00:00.123456789Z stderr P     at com.shop.Http
2026-11-21T10:00:00.123456789Z stderr F .handle(Http.java:7)
2026-11-21T10:00:00.123456789Z stderr F 2026-11-21 10:00:01 INFO recovered
2026-11-21T10:00:00.123456789Z stdout F 2026-11-21 10:00:02 INFO stdout line
2026-11-21T10:00:00.123456789Z stderr F 2026-11-21 10:00:03 WARN last
2026-11-21T10:00:00.123456789Z stderr F     continuation
