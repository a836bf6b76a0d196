2026-11-21T10:00:00.123456789Z stdout F short
2026-11-21T10:00:00.123456789Z stdout F this line is longer than sixteen bytes
2026-11-21T10:00:00.123456789Z stdout P partial one 
2026-11-21T10:00:00.123456789Z stdout P partial two 
2026-11-21T10:00:00.123456789Z stdout F end
2026-11-21T10:00:00.123456789Z stdout F after
2026-11-21T10:00:00.123456789Z stdout F ééééééééééé
