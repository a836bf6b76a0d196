2026-11-21T10:00:00.123456789Z stdout P first half of a long 
2026-11-21T10:00:00.123456789Z stderr P err part one, 
2026-11-21T10:00:00.123456789Z stdout F second half
2026-11-21T10:00:00.123456789Z stderr P err part two, 
2026-11-21T10:00:00.123456789Z stdout F a whole line
2026-11-21T10:00:00.123456789Z stderr F err end
2026-11-21T10:00:00.123456789Z stdout P tail never finished 
