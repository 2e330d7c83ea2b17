-- Engagement events (name = 'engagement') carry how long the page was visible and in use, and how far
-- it was scrolled. Other events leave both at 0.
ALTER TABLE events ADD COLUMN IF NOT EXISTS engagement_time UInt32 DEFAULT 0;
ALTER TABLE events ADD COLUMN IF NOT EXISTS scroll_depth UInt8 DEFAULT 0;
