{"log":"plain line\n","stream":"stdout","time":"2026-11-21T10:00:00.000000001Z"}
{"log":"quotes \" backslash \\ slash \/ tab \t cr \r\n","stream":"stderr","time":"2026-11-21T10:00:00.000000002Z"}
{"log":"unicode \u00e9 \u20ac emoji \ud83d\ude00 lone \ud800 end\n","stream":"stdout","time":"2026-11-21T10:00:00.000000003Z"}
{"log":"control \u0000 \u001b[31mred\u001b[0m\n","stream":"stdout","time":"2026-11-21T10:00:00.000000004Z"}
{"log":"docker split this ","stream":"stdout","time":"2026-11-21T10:00:00.000000005Z"}
{"log":"interleaved stderr\n","stream":"stderr","time":"2026-11-21T10:00:00.000000006Z"}
{"log":"line at 16K\n","stream":"stdout","time":"2026-11-21T10:00:00.000000007Z"}
{"log":"","stream":"stdout","time":"2026-11-21T10:00:00.000000008Z"}
{"log":"\n","stream":"stdout","time":"2026-11-21T10:00:00.000000009Z"}
